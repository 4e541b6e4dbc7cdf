"""Generic reads every domain shares: one row by id, a filtered page, a count."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Table, any_, bindparam, func, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.filtering import (
    Filter,
    FilterAccess,
    FilterSpec,
    Path,
    compile_filter,
    search_condition,
)
from kernel.pagination import Ordering, Page, PageRequest, page_from_rows, paginate
from kernel.permissions import Scope, has_scope, missing_read_scope
from kernel.principal import Principal
from kernel.tables import selected_columns
from kernel.visibility import row_filter


def filter_access(principal: Principal) -> FilterAccess:
    """What ``principal`` may use in filters and searches: the rows, fields and relations it
    may read, and nothing else."""
    return FilterAccess(
        visible=functools.partial(row_filter, principal=principal),
        personal_data=has_scope(principal, Scope.PII_READ),
        missing_scope=functools.partial(missing_read_scope, principal),
    )


def authorize_filter(
    spec: FilterSpec, filter_: Filter | None, principal: Principal, path: Path = ("filter",)
) -> None:
    """Raise ForbiddenFilterError when the filter uses what the principal may not read; for
    filters that are stored or evaluated later (segments, rules, exports, nested lists)."""
    compile_filter(spec, filter_, filter_access(principal), path)


def visible_conditions(
    spec: FilterSpec,
    principal: Principal,
    filter_: Filter | None = None,
    search: str | None = None,
    include_deleted: bool = False,
) -> list[ColumnElement[bool]]:
    """The WHERE clauses for a list: visibility, soft delete, filter and free-text search.

    Raises ForbiddenFilterError when the filter uses a field or relation the principal may
    not read; a search skips the columns it may not read.
    """
    access = filter_access(principal)
    conditions = [
        compile_filter(spec, filter_, access),
        search_condition(spec, search, access.personal_data),
    ]
    if spec.soft_delete is not None and not include_deleted:
        conditions.append(spec.soft_delete.is_(None))
    if (visible := access.visible(spec.table.name)) is not None:
        conditions.append(visible)
    return conditions


async def fetch_page(
    session: AsyncSession,
    spec: FilterSpec,
    ordering: Ordering,
    request: PageRequest,
    conditions: Sequence[ColumnElement[bool]],
    columns: Iterable[str] | None = None,
) -> Page:
    """One page of the rows meeting ``conditions``; ``columns`` names the ones to read."""
    selected = selected_columns(spec.table, columns, ordering.column)
    statement = paginate(select(*selected).where(*conditions), ordering, request)
    rows = (await session.execute(statement)).all()
    return page_from_rows(rows, ordering, request)


async def count_rows(
    session: AsyncSession, spec: FilterSpec, conditions: Sequence[ColumnElement[bool]]
) -> int:
    statement = select(func.count()).select_from(spec.table).where(*conditions)
    return int((await session.execute(statement)).scalar_one())


def among(session: AsyncSession, column: Any, values: Sequence[Any]) -> Any:
    """``column IN values``; on PostgreSQL as ``= ANY`` of one array parameter, which spares
    compiling a placeholder (and its cast) per value for every batch."""
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, list(values), type_=ARRAY(column.type)))
    return column.in_(values)


async def fetch_by_ids(
    session: AsyncSession,
    table: Table,
    ids: Sequence[uuid.UUID],
    principal: Principal,
    columns: Iterable[str] | None = None,
) -> dict[uuid.UUID, Any]:
    """The rows with these ids that the principal may see, soft-deleted ones included;
    ``columns`` names the ones to read (all by default)."""
    statement = select(*selected_columns(table, columns)).where(among(session, table.c.id, ids))
    if (visible := row_filter(table.name, principal)) is not None:
        statement = statement.where(visible)
    rows = (await session.execute(statement)).all()
    return {row.id: row for row in rows}
