"""Parsing a record's `data` with a connector's model, errors pointing into the record."""

from __future__ import annotations

from typing import TypeVar

from pydantic import BaseModel, ValidationError

from integrations.records import InboundRecord
from kernel.crud import validation_errors
from kernel.errors import ServiceError, UserError

T = TypeVar("T", bound=BaseModel)


def parse(model: type[T], record: InboundRecord) -> T:
    """The record's data as ``model``; VALIDATION errors with paths under `data`."""
    try:
        return model.model_validate(record.data)
    except ValidationError as exc:
        raise ServiceError(
            [
                UserError(error.code, error.message, ("data", *error.field))
                for error in validation_errors(exc)
            ]
        ) from exc
