"""Generic reads every domain shares: one row by id, a filtered page, a count."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Table, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from resolvers.filtering import Filter, FilterSpec, compile_filter, search_condition
from resolvers.pagination import Ordering, Page, PageRequest, page_from_rows, paginate


def visible_conditions(
    spec: FilterSpec,
    filter_: Filter | None = None,
    search: str | None = None,
    include_deleted: bool = False,
) -> list[ColumnElement[bool]]:
    """The WHERE clauses for a list: soft delete, filter and free-text search."""
    conditions = [compile_filter(spec, filter_), search_condition(spec, search)]
    if spec.soft_delete is not None and not include_deleted:
        conditions.append(spec.soft_delete.is_(None))
    return conditions


async def fetch_page(
    session: AsyncSession,
    spec: FilterSpec,
    ordering: Ordering,
    request: PageRequest,
    conditions: Sequence[ColumnElement[bool]],
) -> Page:
    statement = paginate(select(spec.table).where(*conditions), ordering, request)
    rows = (await session.execute(statement)).all()
    return page_from_rows(rows, ordering, request)


async def count_rows(
    session: AsyncSession, spec: FilterSpec, conditions: Sequence[ColumnElement[bool]]
) -> int:
    statement = select(func.count()).select_from(spec.table).where(*conditions)
    return int((await session.execute(statement)).scalar_one())


async def fetch_by_ids(
    session: AsyncSession, table: Table, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Any]:
    rows = (await session.execute(select(table).where(table.c.id.in_(ids)))).all()
    return {row.id: row for row in rows}
