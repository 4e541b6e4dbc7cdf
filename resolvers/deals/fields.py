"""Validated input fields of the sales services."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, Field, StringConstraints


def _refuse_null(value: Any) -> Any:
    if value is None:
        raise ValueError("may not be null")
    return value


# On an optional update field: the field may be left out, but not set to null.
NotNull = BeforeValidator(_refuse_null)

StageName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Percent = Annotated[int, Field(ge=0, le=100)]
Sku = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
Description = Annotated[str, StringConstraints(max_length=2000)]
