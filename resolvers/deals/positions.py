"""Ordered rows (stages of a pipeline, lost reasons): appending and reordering."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.crud import EntityRules, update_entity
from kernel.errors import ErrorCode, ServiceError
from kernel.principal import Principal
from kernel.tables import table_of


async def next_position(
    session: AsyncSession, rules: EntityRules[Any], *where: ColumnElement[bool]
) -> int:
    """The position after the last row of the set ``where`` selects."""
    table = table_of(rules.model)
    last = await session.scalar(select(func.max(table.c.position)).where(*where))
    return 0 if last is None else int(last) + 1


async def reorder(
    session: AsyncSession,
    principal: Principal,
    rules: EntityRules[Any],
    current: Sequence[uuid.UUID],
    ordered: Sequence[uuid.UUID],
    argument: str,
) -> None:
    """Give each row of ``current`` its index in ``ordered``, which must list each exactly once.

    ``rules`` must accept ``position`` as an update; only rows that move are written.
    """
    if len(ordered) != len(current) or set(ordered) != set(current):
        raise ServiceError.single(
            ErrorCode.VALIDATION, f"must list each of the {len(current)} ids exactly once", argument
        )
    for position, row_id in enumerate(ordered):
        await update_entity(session, principal, rules, row_id, {"position": position})
