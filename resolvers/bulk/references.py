"""Batch look-ups of an import: one query per column per batch, never one per row."""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from typing import Any

import asyncpg
from sqlalchemy import Table, insert, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.principal import Principal
from kernel.repository import among
from kernel.visibility import row_filter
from models.encryption import EncryptedText
from resolvers.bulk.entities import Lookup
from resolvers.bulk.pacing import long_write

# Keeps every IN list well under SQLite's and asyncpg's bound-parameter limits.
CHUNK = 5000


def _chunks(values: Collection[Any]) -> Iterable[list[Any]]:
    items = list(values)
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


def _visible(statement: Any, table: Table, principal: Principal) -> Any:
    if (condition := row_filter(table.name, principal)) is not None:
        statement = statement.where(condition)
    if "deleted_at" in table.c:
        statement = statement.where(table.c.deleted_at.is_(None))
    return statement


async def plan_for_keys(session: AsyncSession) -> None:
    """For the rest of the transaction (one batch) on PostgreSQL, plan each query for its own
    keys and look them up by index: a batch's queries each probe a thousand keys. A prepared
    statement's generic plan, made while the table was small, read the whole table for every
    batch of a big import; and the default costs (made for disks that seek) read the whole
    table rather than probe its index up to some 150,000 rows: 10 ms a batch at 100,000."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(_PLAN_FOR_KEYS)


_PLAN_FOR_KEYS = text(
    "SELECT set_config('plan_cache_mode', 'force_custom_plan', true),"
    " set_config('enable_seqscan', 'off', true)"
)


async def resolve_lookup(
    session: AsyncSession, principal: Principal, lookup: Lookup, values: Collection[str]
) -> dict[str, list[uuid.UUID]]:
    """The ids of the visible, not deleted rows each value names (several: ambiguous)."""
    found: dict[str, list[uuid.UUID]] = defaultdict(list)
    column = lookup.table.c[lookup.key]
    for chunk in _chunks({_key(lookup, v) for v in values}):
        statement = _visible(
            select(column, lookup.table.c.id).where(among(session, column, chunk)),
            lookup.table,
            principal,
        )
        for key, row_id in await session.execute(statement):
            found[_key(lookup, key)].append(row_id)
    return found


def _key(lookup: Lookup, value: Any) -> str:
    text = str(value).strip()
    return text.lower() if lookup.lower else text


def lookup_key(lookup: Lookup, value: Any) -> str:
    return _key(lookup, value)


async def existing_ids(
    session: AsyncSession, principal: Principal, table: Table, ids: Collection[uuid.UUID]
) -> set[uuid.UUID]:
    """Those of ``ids`` naming rows the principal may see (the API's reference check)."""
    found: set[uuid.UUID] = set()
    for chunk in _chunks(ids):
        statement = select(table.c.id).where(among(session, table.c.id, chunk))
        if (condition := row_filter(table.name, principal)) is not None:
            statement = statement.where(condition)
        found.update(await session.scalars(statement))
    return found


async def rows_by_key(
    session: AsyncSession, table: Table, columns: tuple[str, ...], keys: Collection[tuple[Any, ...]]
) -> dict[tuple[Any, ...], Any]:
    """Existing rows by the values of ``columns`` (queried by the first, matched on all)."""
    first = table.c[columns[0]]
    wanted = set(keys)
    rows: dict[tuple[Any, ...], Any] = {}
    for chunk in _chunks({key[0] for key in wanted}):
        for row in await session.execute(select(table).where(among(session, first, chunk))):
            key = tuple(getattr(row, name) for name in columns)
            if key in wanted:
                rows.setdefault(key, row)
    return rows


async def insert_rows(session: AsyncSession, table: Table, rows: list[dict[str, Any]]) -> None:
    """A multi-row insert handed to the driver as prepared tuples (COPY on PostgreSQL; one
    JSON array on SQLite): each value through its column type's bind processor (so
    encryption, UUIDs and UTC times are as with any insert), without SQLAlchemy's
    per-statement parameter handling."""
    connection = await session.connection()
    dialect = connection.dialect
    key = (table.name, dialect.name)
    prepared = _PREPARED.get(key)
    if prepared is None:
        compiled = insert(table).compile(dialect=dialect, column_keys=[c.key for c in table.c])
        order = list(compiled.positiontup or ())
        columns = [
            (
                name,
                table.c[name].type._cached_bind_processor(dialect),
                not isinstance(table.c[name].type, EncryptedText),
            )
            for name in order
        ]
        prepared = _PREPARED[key] = (compiled.string, columns, _json_insert(table, order))
    sql, columns, json_sql = prepared
    parameters = list(zip(*(_bound(rows, *column) for column in columns), strict=True))
    names = [name for name, _, _ in columns]
    with long_write():
        if dialect.name == "postgresql":
            # COPY: the same values through the same asyncpg codecs as an INSERT, one stream.
            raw = (await connection.get_raw_connection()).driver_connection
            assert raw is not None
            try:
                await raw.copy_records_to_table(table.name, records=parameters, columns=names)
            except asyncpg.IntegrityConstraintViolationError as exc:
                # As SQLAlchemy reports it for an INSERT, so callers handle both alike.
                raise IntegrityError(f"COPY {table.name}", None, exc) from exc
        elif (payload := _json_array(parameters)) is not None:
            await connection.exec_driver_sql(json_sql, (payload,))
        else:
            await connection.exec_driver_sql(sql, parameters)


def _json_insert(table: Table, columns: list[str]) -> str:
    """SQLite: an INSERT taking the whole batch as one JSON array of rows. The driver runs it
    in one `sqlite3_step`, which releases the GIL for the whole batch; `executemany` takes the
    GIL back between rows, so the next batch could not be prepared meanwhile."""
    values = ", ".join(f"value ->> {n}" for n in range(len(columns)))
    return f"INSERT INTO {table.name} ({', '.join(columns)}) SELECT {values} FROM json_each(?)"


def _json_array(parameters: list[tuple[Any, ...]]) -> str | None:
    """The rows as JSON, or None when a value has no exact JSON form (the caller binds them
    one by one instead). Strings, integers, finite floats and NULL come back from
    `->>` with the type and value they were bound with."""
    if not _SQLITE_JSON:
        return None
    try:
        return json.dumps(parameters, ensure_ascii=False, allow_nan=False, check_circular=False)
    except (TypeError, ValueError):
        return None


# json_each and `->>` are built in from SQLite 3.38.
_SQLITE_JSON = sqlite3.sqlite_version_info >= (3, 38, 0)


def _bound(rows: list[dict[str, Any]], name: str, process: Any, reusable: bool) -> list[Any]:
    """One column's values as the driver takes them. The batch's shared values (its time
    stamps, a default) are processed once; never ciphertexts, whose nonce must differ."""
    values = [row[name] for row in rows]
    if process is None:
        return values
    if not reusable:
        return [None if value is None else process(value) for value in values]
    bound: list[Any] = []
    last: Any = _NOTHING
    last_bound: Any = None
    for value in values:
        if value is not last:
            last, last_bound = value, None if value is None else process(value)
        bound.append(last_bound)
    return bound


_NOTHING = object()
_PREPARED: dict[tuple[str, str], tuple[str, list[tuple[str, Any, bool]], str]] = {}


async def ids_by_value(
    session: AsyncSession, table: Table, column: str, values: Collection[Any]
) -> Mapping[Any, uuid.UUID]:
    """The id of the row holding each value of a unique column."""
    found: dict[Any, uuid.UUID] = {}
    for chunk in _chunks(values):
        statement = select(table.c[column], table.c.id).where(
            among(session, table.c[column], chunk)
        )
        found.update(dict((await session.execute(statement)).tuples().all()))
    return found
