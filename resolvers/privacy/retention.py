"""Retention: soft-deleted rows are purged for good once they are old enough."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Column, ColumnElement, Table, and_, delete, exists, false, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel

from kernel.audit import record_audit
from kernel.principal import Principal

BATCH = 500


@dataclass(frozen=True)
class PurgeResult:
    """Rows purged per table, and rows old enough but kept because something refers to them."""

    older_than: datetime
    purged: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=dict)
    # Bulk files deleted by the same run (export files, uploaded import files).
    files_removed: dict[str, int] = field(default_factory=dict)


def _referring(table: Table, soft_deletable: bool) -> list[Column[object]]:
    """The foreign-key columns of other tables (with or without soft delete) naming ``table``."""
    return [
        key.parent
        for other in SQLModel.metadata.sorted_tables
        if ("deleted_at" in other.c) is soft_deletable
        for key in other.foreign_keys
        if key.column.table is table
    ]


def _referenced(table: Table) -> ColumnElement[bool]:
    """Rows of ``table`` some soft-deletable row still refers to, deleted or not.

    Tables without soft delete of their own (deal stage changes, purchase lines, consents) are
    a row's history and go with it instead.
    """
    return or_(
        false(), *(exists().where(column == table.c.id) for column in _referring(table, True))
    )


async def _delete(session: AsyncSession, table: Table, ids: Sequence[uuid.UUID]) -> None:
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        for column in _referring(table, False):
            await session.execute(delete(column.table).where(column.in_(chunk)))
        await session.execute(delete(table).where(table.c.id.in_(chunk)))


async def purge_deleted(
    session: AsyncSession, principal: Principal, older_than: datetime
) -> PurgeResult:
    """Delete the rows soft-deleted before ``older_than``, children before parents.

    A row that another row still refers to (the live deal of a deleted contact, say) is
    skipped; a later run takes it once nothing does. A run that purges anything writes one
    audit entry with the counts.
    """
    result = PurgeResult(older_than=older_than)
    for table in reversed(SQLModel.metadata.sorted_tables):
        if "deleted_at" not in table.c:
            continue
        expired = and_(table.c.deleted_at.is_not(None), table.c.deleted_at < older_than)
        referenced = _referenced(table)
        ids = list((await session.scalars(select(table.c.id).where(expired, ~referenced))).all())
        skipped = await session.scalar(
            select(func.count()).select_from(table).where(expired, referenced)
        )
        if skipped:
            result.skipped[table.name] = int(skipped)
        if ids:
            await _delete(session, table, ids)
            result.purged[table.name] = len(ids)
    if not result.purged:
        return result
    record_audit(
        session,
        principal,
        "retention.purged",
        changes={
            "older_than": older_than.isoformat(),
            "purged": result.purged,
            "skipped": result.skipped,
        },
    )
    return result
