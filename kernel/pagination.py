"""Keyset pagination (Relay connections) for top-level lists and, windowed, for nested ones."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, TypeDecorator, func, literal, select, tuple_
from sqlalchemy.sql.elements import KeyedColumnElement

from kernel.cursors import decode_cursor, encode_cursor
from kernel.errors import InvalidArgumentError

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100


@dataclass(frozen=True)
class Ordering:
    """Sort by one non-null column, then by id so that every position is unique."""

    field: str
    column: KeyedColumnElement[Any]
    id_column: KeyedColumnElement[Any]
    descending: bool = False


@dataclass(frozen=True)
class PageRequest:
    first: int | None = None
    after: str | None = None
    last: int | None = None
    before: str | None = None

    @property
    def backward(self) -> bool:
        return self.last is not None

    @property
    def size(self) -> int:
        if self.last is not None:
            return self.last
        return self.first if self.first is not None else DEFAULT_PAGE_SIZE


def page_request(
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
    max_size: int = MAX_PAGE_SIZE,
) -> PageRequest:
    """A checked page request: one direction, a size from 0 to the maximum."""
    if first is not None and last is not None:
        raise InvalidArgumentError("pass either first or last, not both", "first")
    for name, value in (("first", first), ("last", last)):
        if value is not None and not 0 <= value <= max_size:
            raise InvalidArgumentError(f"{name} must be between 0 and {max_size}", name)
    return PageRequest(first=first, after=after, last=last, before=before)


@dataclass
class Page:
    """One page of rows, in the requested order."""

    rows: Sequence[Any]
    has_next_page: bool
    has_previous_page: bool
    ordering: Ordering

    def cursor(self, row: Any) -> str:
        return encode_cursor(self.ordering.field, getattr(row, self.ordering.column.key), row.id)


def _python_type(column: KeyedColumnElement[Any]) -> type[Any]:
    # A TypeDecorator (UTCDateTime) does not report the Python type of the type it wraps.
    column_type = column.type
    if isinstance(column_type, TypeDecorator):
        column_type = column_type.impl_instance
    return column_type.python_type


def _bounds(ordering: Ordering, request: PageRequest) -> list[ColumnElement[bool]]:
    python_type = _python_type(ordering.column)
    key = tuple_(ordering.column, ordering.id_column)
    conditions: list[ColumnElement[bool]] = []
    for argument, cursor, beyond in (
        ("after", request.after, not ordering.descending),
        ("before", request.before, ordering.descending),
    ):
        if cursor is None:
            continue
        value, row_id = decode_cursor(cursor, ordering.field, python_type, argument)
        # Bound with the columns' own types, so values take their stored form on every backend.
        bound = tuple_(
            literal(value, ordering.column.type), literal(row_id, ordering.id_column.type)
        )
        conditions.append(key > bound if beyond else key < bound)
    return conditions


def _order_by(ordering: Ordering, request: PageRequest) -> list[ColumnElement[Any]]:
    descending = ordering.descending != request.backward
    columns = (ordering.column, ordering.id_column)
    return [column.desc() if descending else column.asc() for column in columns]


def paginate(statement: Select[Any], ordering: Ordering, request: PageRequest) -> Select[Any]:
    """Limit a select to one page plus one row, the probe for a further page."""
    return (
        statement.where(*_bounds(ordering, request))
        .order_by(*_order_by(ordering, request))
        .limit(request.size + 1)
    )


def numbered_page(statement: Select[Any], ordering: Ordering, request: PageRequest) -> Select[Any]:
    """`paginate`, each row also numbered ``row_number`` in the order the page is read."""
    row_number = func.row_number().over(order_by=_order_by(ordering, request))
    return paginate(statement.add_columns(row_number.label("row_number")), ordering, request)


def page_from_rows(rows: Sequence[Any], ordering: Ordering, request: PageRequest) -> Page:
    """Turn the rows of a paginated select into a page in the requested order."""
    more = len(rows) > request.size
    rows = list(rows[: request.size])
    if request.backward:
        rows.reverse()
        return Page(rows, request.before is not None, more, ordering)
    return Page(rows, more, request.after is not None, ordering)


def paginate_windowed(
    statement: Select[Any],
    partition: KeyedColumnElement[Any],
    ordering: Ordering,
    request: PageRequest,
) -> Select[Any]:
    """One page per parent in a single query: rows numbered per parent, cut at the page size.

    ``statement`` must select the child columns and ``partition`` labelled ``parent_key``.
    """
    row_number = func.row_number().over(
        partition_by=partition, order_by=_order_by(ordering, request)
    )
    numbered = statement.where(*_bounds(ordering, request)).add_columns(
        row_number.label("row_number")
    )
    inner = numbered.subquery()
    return (
        select(inner)
        .where(inner.c.row_number <= request.size + 1)
        .order_by(inner.c.parent_key, inner.c.row_number)
    )


def pages_by_parent(
    rows: Sequence[Any], keys: Sequence[Hashable], ordering: Ordering, request: PageRequest
) -> list[Page]:
    """Split windowed rows into one page per requested parent key, in key order."""
    grouped: dict[Hashable, list[Any]] = defaultdict(list)
    for row in rows:
        grouped[row.parent_key].append(row)
    return [page_from_rows(grouped.get(key, []), ordering, request) for key in keys]


def uuid_key(value: Any) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
