"""How a table's rows become JSON lines and back, with every stored value kept exactly.

A backup holds what the database stores, not what the models show: encrypted columns are read
and written as their ciphertext (no key is needed to dump; the same keys are needed to read the
restored data), and a nullable JSON column keeps SQL NULL apart from a stored JSON `null`.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cached_property
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    Date,
    Float,
    LargeBinary,
    Numeric,
    Select,
    Table,
    Text,
    Uuid,
    column,
    select,
    table,
)
from sqlalchemy.engine import Row
from sqlalchemy.sql import TableClause
from sqlalchemy.types import TypeEngine

from models.base import UTCDateTime
from models.encryption import EncryptedText

# A stored JSON `null` in a nullable JSON column (SQL NULL is written as a plain `null`).
JSON_NULL = {"$json_null": True}
_NULL_FLAG = "{}__is_sql_null"

Decoder = Callable[[Any], Any]


def _identity(value: Any) -> Any:
    return value


def _encode_value(value: Any) -> Any:
    """`json.dumps` default: the JSON form of the non-JSON values columns hold."""
    if isinstance(value, uuid.UUID | Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    raise TypeError(f"cannot encode {type(value).__name__} in a backup")


def _raw_type(col: Column[Any]) -> TypeEngine[Any]:
    """The type a backup reads and writes a column with: what is stored, unprocessed."""
    if isinstance(col.type, EncryptedText):
        return Text()
    if isinstance(col.type, JSON) and col.nullable:
        # None binds SQL NULL; `JSON.NULL` binds a JSON null.
        return JSON(none_as_null=True)
    return col.type


def _decoder(col: Column[Any]) -> Decoder:
    kind = col.type
    if isinstance(kind, Uuid):
        return lambda v: None if v is None else uuid.UUID(v)
    if isinstance(kind, UTCDateTime):
        return lambda v: None if v is None else datetime.fromisoformat(v)
    if isinstance(kind, Date):
        return lambda v: None if v is None else date.fromisoformat(v)
    if isinstance(kind, Float):
        return _identity
    if isinstance(kind, Numeric) and kind.asdecimal:
        return lambda v: None if v is None else Decimal(v)
    if isinstance(kind, LargeBinary):
        return lambda v: None if v is None else base64.b64decode(v)
    if isinstance(kind, JSON) and col.nullable:
        return lambda v: JSON.NULL if v == JSON_NULL else v
    return _identity


@dataclass(frozen=True)
class TableCodec:
    """One table as a backup sees it: its raw columns, how to read them and how to write them."""

    table: Table
    raw: TableClause
    columns: tuple[str, ...]
    decoders: tuple[Decoder, ...]
    nullable_json: tuple[str, ...]
    # (position, nullable) of each JSON column: COPY takes them as JSON text.
    json_columns: tuple[tuple[int, bool], ...]
    # Nullable columns referencing this same table: restored in a second pass.
    self_references: tuple[str, ...]

    @classmethod
    def of(cls, source: Table) -> TableCodec:
        cols = list(source.columns)
        self_refs = tuple(
            fk.parent.name
            for fk in source.foreign_keys
            if fk.column.table is source and fk.parent.nullable
        )
        return cls(
            table=source,
            raw=table(source.name, *(column(c.name, _raw_type(c)) for c in cols)),
            columns=tuple(c.name for c in cols),
            decoders=tuple(_decoder(c) for c in cols),
            nullable_json=tuple(c.name for c in cols if isinstance(c.type, JSON) and c.nullable),
            json_columns=tuple(
                (i, bool(c.nullable)) for i, c in enumerate(cols) if isinstance(c.type, JSON)
            ),
            self_references=self_refs,
        )

    @property
    def name(self) -> str:
        return self.table.name

    @property
    def encrypted(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.table.columns if isinstance(c.type, EncryptedText))

    def select_all(self) -> Select[Any]:
        """Every stored value of every row, in primary-key order (deterministic files)."""
        flags = [
            self.raw.c[name].is_(None).label(_NULL_FLAG.format(name)) for name in self.nullable_json
        ]
        order = [self.raw.c[c.name] for c in self.table.primary_key.columns]
        return select(*(self.raw.c[name] for name in self.columns), *flags).order_by(*order)

    def encode(self, row: Row[Any]) -> str:
        """One JSON line (with its newline) for a row of `select_all`."""
        record = row._asdict()
        for name in self.nullable_json:
            if record.pop(_NULL_FLAG.format(name)):
                record[name] = None
            elif record[name] is None:
                record[name] = JSON_NULL
        return (
            json.dumps(record, default=_encode_value, ensure_ascii=False, separators=(",", ":"))
            + "\n"
        )

    def decode(self, line: str) -> dict[str, Any]:
        """The insert parameters of one JSON line (`KeyError` unless it has exactly the
        table's columns)."""
        record: dict[str, Any] = json.loads(line)
        if record.keys() != self._column_set:
            raise KeyError(f"columns {sorted(record)} are not {sorted(self.columns)}")
        for name, decode in self._conversions:
            record[name] = decode(record[name])
        return record

    @cached_property
    def _column_set(self) -> frozenset[str]:
        return frozenset(self.columns)

    @cached_property
    def _conversions(self) -> tuple[tuple[str, Decoder], ...]:
        """The columns whose JSON form is not already their value."""
        return tuple(
            (name, decode)
            for name, decode in zip(self.columns, self.decoders, strict=True)
            if decode is not _identity
        )

    def copy_record(self, params: dict[str, Any]) -> tuple[Any, ...]:
        """A row of `decode` as PostgreSQL's COPY takes it: JSON columns as the JSON text their
        type would have bound (SQL NULL only in nullable ones), everything else as it is."""
        record = [params[name] for name in self.columns]
        for position, nullable in self.json_columns:
            value = record[position]
            if value is JSON.NULL:
                record[position] = "null"
            elif value is not None or not nullable:
                record[position] = json.dumps(value)
        return tuple(record)
