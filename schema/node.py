"""The Relay `Node` interface and the mapping from database rows to schema objects."""

from __future__ import annotations

import dataclasses
import uuid
from typing import Any, Self

import strawberry

from schema.ids import encode_id


@strawberry.interface(description="An object with a globally unique id, fetchable by `node(id:)`.")
class Node:
    id: strawberry.ID = strawberry.field(description="Globally unique id of this object.")
    pk: strawberry.Private[uuid.UUID]

    @classmethod
    def type_name(cls) -> str:
        return cls.__strawberry_definition__.name  # type: ignore[attr-defined,no-any-return]

    @classmethod
    def from_row(cls, row: Any) -> Self:
        """The schema object for a database row: every field whose name is a column."""
        names = _init_fields(cls)
        values = {name: row if name == "row" else getattr(row, name) for name in names}
        return cls(id=strawberry.ID(encode_id(cls.type_name(), row.id)), pk=row.id, **values)

    @classmethod
    def from_optional(cls, row: Any | None) -> Self | None:
        return None if row is None else cls.from_row(row)


_FIELDS: dict[type, tuple[str, ...]] = {}


def _init_fields(cls: type) -> tuple[str, ...]:
    names = _FIELDS.get(cls)
    if names is None:
        names = tuple(
            field.name
            for field in dataclasses.fields(cls)
            if field.init and field.name not in ("id", "pk")
        )
        _FIELDS[cls] = names
    return names
