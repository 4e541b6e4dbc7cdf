"""Typed access to the Core tables behind the SQLModel classes."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import Table
from sqlalchemy.sql.elements import KeyedColumnElement
from sqlmodel import SQLModel


def table_of(model: type[SQLModel]) -> Table:
    return cast(Table, model.__table__)  # type: ignore[attr-defined]


def selected_columns(
    table: Table, names: Iterable[str] | None, *required: KeyedColumnElement[Any]
) -> list[Any]:
    """The columns to select: all of ``table`` when ``names`` is None, else those named, the
    id and ``required`` (the ordering a cursor is made of), each once."""
    if names is None:
        return [table]
    columns: dict[str, Any] = {"id": table.c.id}
    for column in required:
        columns.setdefault(column.key, column)
    for name in names:
        columns.setdefault(name, table.c[name])
    return list(columns.values())


def json_value(value: Any) -> Any:
    """A JSON-safe form of a column value (ids, money and times as strings)."""
    if isinstance(value, uuid.UUID | Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def row_to_dict(row: Any, table: Table) -> dict[str, Any]:
    """A JSON-safe dict of every column of a row or model instance."""
    return {column.key: json_value(getattr(row, column.key)) for column in table.columns}


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=json_value, separators=(",", ":"))
