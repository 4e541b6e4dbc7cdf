"""Validated field types and input-model helpers shared by every service."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, create_model

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)]
LongText = Annotated[str, StringConstraints(max_length=100_000)]
Email = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, to_lower=True, max_length=320, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
    ),
]
Phone = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=50, pattern=r"^\+?[0-9 ()./-]{3,}$")
]
Domain = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True,
        to_lower=True,
        max_length=253,
        pattern=r"^([a-z0-9-]{1,63}\.)+[a-z]{2,63}$",
    ),
]
Currency = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Z]{3}$")]
Country = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Z]{2}$")]
ExternalId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Money = Annotated[Decimal, Field(ge=0, max_digits=18, decimal_places=2)]


class InputModel(BaseModel):
    """Base of every service input: unknown fields are refused."""

    model_config = ConfigDict(extra="forbid")


def partial(model: type[InputModel], name: str) -> type[InputModel]:
    """The same fields as ``model``, each optional: the input of an update."""
    fields: dict[str, Any] = {
        field_name: (
            Annotated[info.annotation, *info.metadata] | None  # type: ignore[name-defined]
            if info.metadata
            else info.annotation | None,
            None,
        )
        for field_name, info in model.model_fields.items()
    }
    return create_model(name, __base__=InputModel, **fields)
