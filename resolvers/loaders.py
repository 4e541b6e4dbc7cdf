"""Per-request dataloaders: every relation is read in one batched query per level."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any

from aiodataloader import DataLoader
from sqlalchemy import Subquery, Table, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.sql.elements import KeyedColumnElement

from resolvers.filtering import Filter, FilterSpec
from resolvers.pagination import (
    Ordering,
    Page,
    PageRequest,
    pages_by_parent,
    paginate_windowed,
)
from resolvers.principal import Principal
from resolvers.repository import fetch_by_ids, visible_conditions
from resolvers.tables import canonical_json


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


def _children_statement(
    relation: ToMany, keys: Sequence[uuid.UUID], filter_: Filter | None, principal: Principal
) -> tuple[Any, KeyedColumnElement[Any]]:
    table = relation.spec.table
    if relation.through is not None:
        pairs = relation.through()
        parent_key = pairs.c.parent_key
        statement = select(table, parent_key).join(pairs, table.c.id == pairs.c.child_id)
    else:
        assert relation.parent_key is not None
        parent_key = relation.parent_key()
        statement = select(table, parent_key.label("parent_key"))
    conditions = visible_conditions(relation.spec, principal, filter_)
    statement = statement.where(parent_key.in_(keys), *conditions)
    return statement, parent_key


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

    def by_id(self, table: Table) -> DataLoader[Any, Any]:
        """Rows of ``table`` by id (None where there is none), soft-deleted ones included."""

        async def batch(keys: list[uuid.UUID]) -> list[Any]:
            async with self._session_factory() as session:
                rows = await fetch_by_ids(session, table, keys, self._principal)
            return [rows.get(key) for key in keys]

        return self._get(("by_id", table.name), batch)

    def page(
        self,
        relation: ToMany,
        ordering: Ordering,
        request: PageRequest,
        filter_: Filter | None = None,
    ) -> DataLoader[Any, Any]:
        """A page of children per parent id, all parents in one windowed query."""

        async def batch(keys: list[uuid.UUID]) -> list[Page]:
            statement, parent_key = _children_statement(relation, keys, filter_, self._principal)
            windowed = paginate_windowed(statement, parent_key, ordering, request)
            async with self._session_factory() as session:
                rows = (await session.execute(windowed)).all()
            return pages_by_parent(rows, keys, ordering, request)

        key = (
            "page",
            relation.name,
            ordering.field,
            ordering.descending,
            request,
            canonical_json(filter_) if filter_ else "",
        )
        return self._get(key, batch)

    def count(self, relation: ToMany, filter_: Filter | None = None) -> DataLoader[Any, Any]:
        """How many visible children each parent id has, in one grouped query."""

        async def batch(keys: list[uuid.UUID]) -> list[int]:
            statement, _ = _children_statement(relation, keys, filter_, self._principal)
            inner = statement.subquery()
            grouped = select(inner.c.parent_key, func.count()).group_by(inner.c.parent_key)
            async with self._session_factory() as session:
                counts: dict[Any, int] = dict((await session.execute(grouped)).all())
            return [int(counts.get(key, 0)) for key in keys]

        return self._get(
            ("count", relation.name, canonical_json(filter_) if filter_ else ""), batch
        )
