"""Reading mutation inputs: UNSET for an input field not given, and `to_values`, an input as
the plain data a service takes."""

from __future__ import annotations

import dataclasses
from typing import Any

import strawberry
from strawberry.types.base import StrawberryOptional, has_object_definition

from kernel.errors import ErrorCode, InvalidArgumentError, ServiceError
from schema.ids import decode_id

UNSET: Any = strawberry.UNSET


def _is_id(field: Any) -> bool:
    field_type = field.type.of_type if isinstance(field.type, StrawberryOptional) else field.type
    return field_type is strawberry.ID


def to_values(value: Any, path: tuple[str, ...] = ()) -> Any:
    """An input object as the plain data a service takes: UNSET dropped, global ids decoded.

    A malformed id is a VALIDATION error at its path inside the argument (`teamId`, or
    `actions.0.teamId` in a list), as a service reports a refused value.
    """
    if isinstance(value, list):
        return [to_values(item, (*path, str(index))) for index, item in enumerate(value)]
    if not has_object_definition(value):
        return value
    id_fields = {f.python_name for f in value.__strawberry_definition__.fields if _is_id(f)}
    result: dict[str, Any] = {}
    for field in dataclasses.fields(value):  # type: ignore[arg-type]
        item = getattr(value, field.name)
        if item is UNSET:
            continue
        if field.name in id_fields and item is not None:
            try:
                item = decode_id(item, field.name)[1]
            except InvalidArgumentError as exc:
                raise ServiceError.single(
                    ErrorCode.VALIDATION, str(exc), *path, field.name
                ) from exc
        result[field.name] = to_values(item, (*path, field.name))
    return result
