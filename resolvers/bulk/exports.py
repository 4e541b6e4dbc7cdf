"""Exports: the rows of a type the principal may see, with the API's filters, streamed to CSV or
JSON Lines in keyset batches (constant memory at any size)."""

from __future__ import annotations

import csv
import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import IO, Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kernel.filtering import Filter
from kernel.permissions import Scope, has_scope
from kernel.principal import Principal
from kernel.repository import visible_conditions
from kernel.tables import json_value
from models.bulk import FileFormat
from resolvers.graph import SPECS
from resolvers.privacy import mask_email, mask_phone

# File type -> the graph's type name.
EXPORT_TYPES: dict[str, str] = {
    "customers": "customer",
    "contacts": "contact",
    "deals": "deal",
    "interactions": "interaction",
    "purchases": "purchase",
    "tickets": "ticket",
}
# Internal columns no export shows (a keyed hash is no use outside).
HIDDEN = {"contacts": {"phone_hash"}}
# Masked without the pii:read scope, as the API masks them.
MASKED: dict[str, dict[str, Callable[[Any], Any]]] = {
    "contacts": {"email": mask_email, "phone": mask_phone},
}
BATCH = 1000


def export_columns(entity_type: str) -> list[str]:
    table = SPECS[EXPORT_TYPES[entity_type]].table
    names = [c.key for c in table.columns if c.key not in HIDDEN.get(entity_type, set())]
    return ["id", *(name for name in names if name != "id")]


async def export_rows(
    factory: async_sessionmaker[AsyncSession],
    principal: Principal,
    entity_type: str,
    filter_: Filter | None,
    include_deleted: bool = False,
) -> AsyncIterator[dict[str, Any]]:
    """The visible rows matching the filter, by id, one batch (and one short read) at a time."""
    spec = SPECS[EXPORT_TYPES[entity_type]]
    columns = export_columns(entity_type)
    table = spec.table
    conditions = visible_conditions(spec, principal, filter_, include_deleted=include_deleted)
    masks = {} if has_scope(principal, Scope.PII_READ) else MASKED.get(entity_type, {})
    statement = select(*(table.c[name] for name in columns)).where(*conditions)
    last = None
    while True:
        page = statement if last is None else statement.where(table.c.id > last)
        async with factory() as session:
            rows = (await session.execute(page.order_by(table.c.id).limit(BATCH))).all()
        for row in rows:
            values = dict(row._mapping)
            for name, mask in masks.items():
                values[name] = mask(values[name])
            yield values
        if len(rows) < BATCH:
            return
        last = rows[-1].id


def _csv_value(value: Any) -> Any:
    if isinstance(value, list | dict):
        return ";".join(map(str, value)) if isinstance(value, list) else json.dumps(value)
    value = json_value(value)
    return "" if value is None else value


class RowWriter:
    """Writes rows to a file in one of the export formats."""

    def __init__(self, file: IO[str], file_format: FileFormat, columns: list[str]) -> None:
        self.file, self.file_format, self.columns = file, file_format, columns
        self.csv = csv.writer(file) if file_format == FileFormat.CSV else None
        if self.csv is not None:
            self.csv.writerow(columns)

    def write(self, row: dict[str, Any]) -> None:
        if self.csv is not None:
            self.csv.writerow([_csv_value(row[name]) for name in self.columns])
        else:
            self.file.write(json.dumps({n: json_value(row[n]) for n in self.columns}) + "\n")


async def export_to_file(
    factory: async_sessionmaker[AsyncSession],
    principal: Principal,
    entity_type: str,
    filter_: Filter | None,
    file_format: FileFormat,
    path: Path,
    on_row: Callable[[int], None] | None = None,
) -> int:
    """Write the export to ``path`` (atomically: a partial file until done); the row count."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    count = 0
    with partial.open("w", encoding="utf-8", newline="") as file:
        writer = RowWriter(file, file_format, export_columns(entity_type))
        async for row in export_rows(factory, principal, entity_type, filter_):
            writer.write(row)
            count += 1
            if on_row is not None and count % BATCH == 0:
                on_row(count)
    partial.replace(path)
    return count
