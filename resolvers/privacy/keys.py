"""Key rotation: re-encrypt every encrypted column under the first key, batch by batch.

Reads accept every listed key meanwhile, so the service keeps running: add the new key in
front of CRM_ENCRYPTION_KEYS everywhere, run `crm keys rotate`, then drop the old key.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Column, Table, Text, select, type_coerce, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import SQLModel

from kernel.audit import record_audit
from kernel.principal import Principal
from kernel.unit_of_work import unit_of_work
from models.encryption import EncryptedText, current_keyring

BATCH_SIZE = 500


def encrypted_columns() -> list[tuple[Table, Column[Any]]]:
    """Every (table, column) stored encrypted."""
    return [
        (table, column)
        for table in SQLModel.metadata.sorted_tables
        for column in table.columns
        if isinstance(column.type, EncryptedText)
    ]


async def rotate_batch(
    session: AsyncSession, table: Table, column: Column[Any], after: uuid.UUID | None, size: int
) -> tuple[int, uuid.UUID | None]:
    """Re-encrypt the next ``size`` values after id ``after``: (rows rewritten, last id seen).

    Each row is rewritten only if it still holds the token read, so a concurrent write (already
    under the first key) is never overwritten with an older value.
    """
    keyring = current_keyring()
    raw = type_coerce(column, Text)  # the stored token, not decrypted
    statement = select(table.c.id, raw).where(column.is_not(None)).order_by(table.c.id).limit(size)
    if after is not None:
        statement = statement.where(table.c.id > after)
    rows = (await session.execute(statement)).all()
    rewritten = 0
    for row_id, token in rows:
        result = await session.execute(
            update(table)
            .where(table.c.id == row_id, raw == token)
            .values({column: type_coerce(keyring.rotate(token), Text)})
        )
        rewritten += result.rowcount  # type: ignore[attr-defined]
    return rewritten, rows[-1][0] if rows else None


async def rotate_keys(
    session_factory: async_sessionmaker[AsyncSession],
    principal: Principal,
    batch_size: int = BATCH_SIZE,
) -> dict[str, int]:
    """Re-encrypt everything under the first key, one transaction per batch; rows per column."""
    counts: dict[str, int] = {}
    for table, column in encrypted_columns():
        name = f"{table.name}.{column.name}"
        counts[name] = 0
        after: uuid.UUID | None = None
        while True:
            async with unit_of_work(session_factory) as session:
                rewritten, after = await rotate_batch(session, table, column, after, batch_size)
            counts[name] += rewritten
            if after is None:
                break
    async with unit_of_work(session_factory) as session:
        record_audit(session, principal, "keys.rotated", changes={"rewritten": counts})
    return counts
