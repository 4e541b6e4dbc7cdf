"""Validated field types and input-model helpers shared by every service."""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from typing import Annotated, Any, Optional

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    create_model,
)

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)]
LongText = Annotated[str, StringConstraints(max_length=100_000)]


def _matching(pattern: str, what: str, transform: Callable[[str], str] = str.strip) -> Any:
    compiled = re.compile(pattern)

    def check(value: str) -> str:
        value = transform(value)
        if not compiled.fullmatch(value):
            raise ValueError(f"is not a valid {what}")
        return value

    return AfterValidator(check)


def _lower(value: str) -> str:
    return value.strip().lower()


Email = Annotated[
    str,
    StringConstraints(max_length=320),
    _matching(r"[^@\s]+@[^@\s]+\.[^@\s]+", "email address", _lower),
]
Phone = Annotated[
    str, StringConstraints(max_length=50), _matching(r"\+?[0-9 ()./-]{3,}", "phone number")
]
Domain = Annotated[
    str,
    StringConstraints(max_length=253),
    _matching(r"([a-z0-9-]{1,63}\.)+[a-z]{2,63}", "domain name, e.g. example.com", _lower),
]
Currency = Annotated[str, _matching(r"[A-Z]{3}", "ISO 4217 currency code, e.g. EUR")]
Country = Annotated[str, _matching(r"[A-Z]{2}", "ISO 3166-1 alpha-2 country code, e.g. DE")]
ExternalId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Money = Annotated[Decimal, Field(ge=0, max_digits=18, decimal_places=2)]


class InputModel(BaseModel):
    """Base of every service input: unknown fields are refused."""

    model_config = ConfigDict(extra="forbid")


def partial(model: type[InputModel], name: str) -> type[InputModel]:
    """The same fields as ``model``, each optional: the input of an update."""
    fields: dict[str, Any] = {
        field_name: (
            Optional[Annotated[info.annotation, *info.metadata]]  # noqa: UP045
            if info.metadata
            else Optional[info.annotation],  # noqa: UP045
            None,
        )
        for field_name, info in model.model_fields.items()
    }
    return create_model(name, __base__=InputModel, **fields)
