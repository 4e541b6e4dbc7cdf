"""Per-request dataloaders: every relation is read in one batched query per level."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any

from aiodataloader import DataLoader
from sqlalchemy import ColumnElement, Select, Subquery, Table, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.sql.elements import KeyedColumnElement

from kernel.filtering import Filter, FilterSpec
from kernel.pagination import (
    Ordering,
    Page,
    PageRequest,
    pages_by_parent,
    paginate_windowed,
)
from kernel.principal import Principal
from kernel.repository import among, fetch_by_ids, visible_conditions
from kernel.tables import canonical_json, selected_columns


@dataclass(frozen=True)
class ToMany:
    """A one-to-many (or, ``through`` a pair table, many-to-many) relation to a child type.

    ``parent_key`` is the child's column naming its parent; a ``through`` relation instead
    joins a subquery of (``parent_key``, ``child_id``) pairs.
    """

    name: str
    target: str
    spec: FilterSpec
    parent_key: Callable[[], KeyedColumnElement[Any]] | None = None
    through: Callable[[], Subquery] | None = None


def children_select(
    relation: ToMany,
    principal: Principal,
    filter_: Filter | None,
    columns: list[Any] | None,
    parents: Callable[[KeyedColumnElement[Any]], ColumnElement[bool]],
) -> tuple[Select[Any], KeyedColumnElement[Any]]:
    """The visible children (``columns`` of them, all by default) of the parents that
    ``parents`` picks by the children's parent key, labelled ``parent_key``."""
    table = relation.spec.table
    selected = columns or [table]
    if relation.through is not None:
        pairs = relation.through()
        parent_key = pairs.c.parent_key
        statement = select(*selected, parent_key).join(pairs, table.c.id == pairs.c.child_id)
    else:
        assert relation.parent_key is not None
        parent_key = relation.parent_key()
        statement = select(*selected, parent_key.label("parent_key"))
    conditions = visible_conditions(relation.spec, principal, filter_)
    return statement.where(parents(parent_key), *conditions), parent_key


def _children_statement(
    session: AsyncSession,
    relation: ToMany,
    keys: Sequence[uuid.UUID],
    filter_: Filter | None,
    principal: Principal,
    columns: list[Any] | None = None,
) -> tuple[Any, KeyedColumnElement[Any]]:
    return children_select(
        relation, principal, filter_, columns, lambda key: among(session, key, keys)
    )


class Loaders:
    """The dataloaders of one request, created on first use and shared by its resolvers."""

    def __init__(
        self, session_factory: async_sessionmaker[AsyncSession], principal: Principal
    ) -> None:
        self._session_factory = session_factory
        self._principal = principal
        self._loaders: dict[Hashable, DataLoader[Any, Any]] = {}

    def _get(self, key: Hashable, batch: Callable[[list[Any]], Any]) -> DataLoader[Any, Any]:
        loader = self._loaders.get(key)
        if loader is None:
            loader = self._loaders[key] = DataLoader(batch)
        return loader

    def by_id(self, table: Table, columns: tuple[str, ...] | None = None) -> DataLoader[Any, Any]:
        """Rows of ``table`` by id (None where there is none), soft-deleted ones included;
        ``columns`` names the columns to read (all by default)."""

        async def batch(keys: list[uuid.UUID]) -> list[Any]:
            async with self._session_factory() as session:
                rows = await fetch_by_ids(session, table, keys, self._principal, columns)
            return [rows.get(key) for key in keys]

        return self._get(("by_id", table.name, columns), batch)

    def page(
        self,
        relation: ToMany,
        ordering: Ordering,
        request: PageRequest,
        filter_: Filter | None = None,
        columns: tuple[str, ...] | None = None,
    ) -> DataLoader[Any, Any]:
        """A page of children per parent id, all parents in one windowed query; ``columns``
        names the child columns to read (all by default)."""

        async def batch(keys: list[uuid.UUID]) -> list[Page]:
            return await self.pages(relation, ordering, request, filter_, columns, keys)

        key = (
            "page",
            relation.name,
            ordering.field,
            ordering.descending,
            request,
            canonical_json(filter_) if filter_ else "",
            columns,
        )
        return self._get(key, batch)

    async def pages(
        self,
        relation: ToMany,
        ordering: Ordering,
        request: PageRequest,
        filter_: Filter | None,
        columns: tuple[str, ...] | None,
        keys: Sequence[uuid.UUID],
    ) -> list[Page]:
        """The page of children of each parent of ``keys``, in one windowed query: what
        `page` loads, for callers that hold a whole level of parents at once."""
        selected = None
        if columns is not None:
            selected = selected_columns(relation.spec.table, columns, ordering.column)
        async with self._session_factory() as session:
            statement, parent_key = _children_statement(
                session, relation, keys, filter_, self._principal, selected
            )
            windowed = paginate_windowed(statement, parent_key, ordering, request)
            rows = (await session.execute(windowed)).all()
        return pages_by_parent(rows, keys, ordering, request)

    def count(self, relation: ToMany, filter_: Filter | None = None) -> DataLoader[Any, Any]:
        """How many visible children each parent id has, in one grouped query."""

        async def batch(keys: list[uuid.UUID]) -> list[int]:
            return await self.counts(relation, filter_, keys)

        return self._get(
            ("count", relation.name, canonical_json(filter_) if filter_ else ""), batch
        )

    async def counts(
        self, relation: ToMany, filter_: Filter | None, keys: Sequence[uuid.UUID]
    ) -> list[int]:
        """How many visible children each parent of ``keys`` has, in one grouped query."""
        async with self._session_factory() as session:
            statement, _ = _children_statement(session, relation, keys, filter_, self._principal)
            inner = statement.subquery()
            grouped = select(inner.c.parent_key, func.count()).group_by(inner.c.parent_key)
            found: dict[Any, int] = dict((await session.execute(grouped)).all())
        return [int(found.get(key, 0)) for key in keys]
