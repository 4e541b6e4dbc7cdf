"""Writing one batch of an import: the service's input model and hooks decide, as for the API;
references, matches and unique keys are looked up per batch; new rows go in one multi-row
INSERT."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.crud import (
    Change,
    changed_values,
    finish_write,
    prepare_write,
    start_update,
    unmapped_row,
    validate_input,
)
from kernel.errors import ErrorCode, ServiceError, UserError
from kernel.principal import Principal
from models import utcnow
from resolvers.bulk.entities import ENTITY_IMPORTS, EntityImport
from resolvers.bulk.formats import Record
from resolvers.bulk.mapping import ColumnMapping, record_converter
from resolvers.bulk.references import (
    existing_ids,
    ids_by_value,
    insert_rows,
    lookup_key,
    plan_for_keys,
    resolve_lookup,
    rows_by_key,
)


@dataclass(frozen=True)
class BatchOptions:
    match: str
    create_customers: bool = False
    per_record_events: bool = False
    dry_run: bool = False


@dataclass(frozen=True)
class RowError:
    row_number: int
    column: str
    code: str
    message: str


@dataclass
class BatchOutcome:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    customers_created: int = 0
    errors: list[RowError] = field(default_factory=list)
    rejected_rows: set[int] = field(default_factory=set)

    def merge(self, other: BatchOutcome) -> None:
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.customers_created += other.customers_created
        self.errors += other.errors
        self.rejected_rows |= other.rejected_rows


class _Row:
    """A record on its way through the batch."""

    __slots__ = ("data", "existing", "lookups", "number", "pending_customer", "validated", "values")

    def __init__(self, number: int, data: dict[str, Any], lookups: dict[str, Any]) -> None:
        self.number, self.data, self.lookups = number, data, lookups
        self.values: dict[str, Any] = {}
        self.existing: Any = None
        self.pending_customer: tuple[str, str] | None = None
        self.validated = False


class _Report:
    """The rejected rows of one mapping's records, reported by their file column."""

    def __init__(self, mapping: ColumnMapping, outcome: BatchOutcome | None = None) -> None:
        self.mapping = mapping
        self.columns = {target: column for column, target in mapping.fields.items()}
        self.outcome = outcome if outcome is not None else BatchOutcome()

    def reject(self, row: _Row, errors: Sequence[UserError]) -> None:
        for error in errors:
            name = error.field[0] if error.field else ""
            self.outcome.errors.append(
                RowError(row.number, self.columns.get(name, name), error.code.value, error.message)
            )
        self.outcome.rejected_rows.add(row.number)

    def reject_one(self, row: _Row, code: ErrorCode, message: str, name: str = "") -> None:
        self.reject(row, [UserError(code, message, (name,) if name else ())])


class _Batch(_Report):
    def __init__(
        self,
        session: AsyncSession,
        principal: Principal,
        spec: EntityImport,
        prepared: PreparedBatch,
        options: BatchOptions,
    ) -> None:
        super().__init__(prepared.mapping, prepared.outcome)
        self.session, self.principal, self.spec, self.options = session, principal, spec, options
        self.now = utcnow()


@dataclass
class PreparedBatch:
    """Records of one mapping read, coerced and, where they name no related record, validated:
    the work that needs no database, done while the previous batch is being written."""

    mapping: ColumnMapping
    rows: list[_Row]
    outcome: BatchOutcome


def prepare_batch(
    spec: EntityImport, mapping: ColumnMapping, records: Sequence[Record]
) -> PreparedBatch:
    """Coerce ``records``; those naming no related record by a key are validated with the
    entity's input model now (the others once their references are resolved)."""
    report = _Report(mapping)
    rows: list[_Row] = []
    create_input = spec.rules.create_input
    values_of = record_converter(spec, mapping)
    for record in records:
        data, lookups = values_of(record.fields)
        row = _Row(record.row_number, data, lookups)
        if record.problem is not None:
            report.reject_one(row, ErrorCode.VALIDATION, record.problem)
            continue
        if not lookups:
            try:
                row.values = validate_input(create_input, data)
            except ServiceError as exc:
                report.reject(row, exc.errors)
                continue
            row.validated = True
        rows.append(row)
    return PreparedBatch(mapping, rows, report.outcome)


def _template(spec: EntityImport) -> tuple[dict[str, Any], dict[str, Callable[[], Any]]]:
    """Each column's default: a value, or a factory called per row."""
    defaults: dict[str, Any] = {}
    factories: dict[str, Callable[[], Any]] = {}
    model_fields = spec.rules.model.model_fields
    for column in spec.table.c:
        info = model_fields.get(column.key)
        if column.key in ("id", "created_at", "updated_at"):
            defaults[column.key] = None  # set per row (see `_new_row`)
        elif info is not None and info.default_factory is not None:
            factories[column.key] = info.default_factory
        else:
            defaults[column.key] = None if info is None else info.default
    return defaults, factories


_TEMPLATES: dict[str, tuple[dict[str, Any], dict[str, Callable[[], Any]]]] = {}


def _new_ids(count: int) -> Iterator[uuid.UUID]:
    """Random (version 4) ids, as `uuid.uuid4` makes them, from one read of the OS's source."""
    data = os.urandom(16 * count)
    return (uuid.UUID(bytes=data[n : n + 16], version=4) for n in range(0, len(data), 16))


def _new_row(spec: EntityImport, now: datetime, row_id: uuid.UUID) -> dict[str, Any]:
    template = _TEMPLATES.get(spec.entity)
    if template is None:
        template = _TEMPLATES[spec.entity] = _template(spec)
    defaults, factories = template
    row = dict(defaults)
    for name, factory in factories.items():
        row[name] = factory()
    row["id"] = row_id
    row["created_at"] = row["updated_at"] = now
    return row


async def write_batch(
    session: AsyncSession,
    principal: Principal,
    spec: EntityImport,
    mapping: ColumnMapping,
    records: Sequence[Record],
    options: BatchOptions,
) -> BatchOutcome:
    """Validate, match and write ``records``; rejected ones are reported, the others written
    (unless it is a dry run) in the session's transaction."""
    prepared = prepare_batch(spec, mapping, records)
    return await write_prepared(session, principal, spec, prepared, options)


async def write_prepared(
    session: AsyncSession,
    principal: Principal,
    spec: EntityImport,
    prepared: PreparedBatch,
    options: BatchOptions,
) -> BatchOutcome:
    """`write_batch` after `prepare_batch`: references, matches, unique keys and the writes."""
    batch = _Batch(session, principal, spec, prepared, options)
    await plan_for_keys(session)
    rows = await _resolve_lookups(batch, prepared.rows)
    if batch.options.create_customers:
        await _create_customers(batch, rows)
    rows = _validated(batch, rows)
    rows = await _check_references(batch, rows)
    rows = await _match(batch, rows)
    rows = await _check_unique(batch, rows)
    await _write(batch, rows)
    return batch.outcome


async def _resolve_lookups(batch: _Batch, rows: list[_Row]) -> list[_Row]:
    kept = []
    found: dict[str, dict[str, list[uuid.UUID]]] = {}
    for name, lookup in batch.spec.lookups.items():
        values = {row.lookups[name] for row in rows if name in row.lookups}
        if values:
            found[name] = await resolve_lookup(batch.session, batch.principal, lookup, values)
    for row in rows:
        ok = True
        for name, value in row.lookups.items():
            lookup = batch.spec.lookups[name]
            if lookup.field in row.data:
                continue  # an explicit id wins; the reference check covers it
            ids = found[name].get(lookup_key(lookup, value), [])
            if len(ids) == 1:
                row.data[lookup.field] = ids[0]
            elif ids:
                what = lookup.table.name.removesuffix("s")
                batch.reject_one(
                    row,
                    ErrorCode.INVALID_REFERENCE,
                    f"{len(ids)} {lookup.table.name} have this {lookup.key}: name one by id",
                    name,
                )
                ok = False
            elif batch.options.create_customers and name in batch.spec.customer_lookups:
                row.pending_customer = (name, str(value).strip())
            else:
                what = lookup.table.name.removesuffix("s")
                batch.reject_one(
                    row, ErrorCode.INVALID_REFERENCE, f"no {what} with this {lookup.key}", name
                )
                ok = False
        if ok:
            kept.append(row)
    return kept


async def _create_customers(batch: _Batch, rows: list[_Row]) -> None:
    """Customers the rows name but that do not exist yet, one per distinct name or key."""
    customers = ENTITY_IMPORTS["customers"]
    wanted: dict[tuple[str, str], uuid.UUID | None] = {}
    new_rows: list[dict[str, Any]] = []
    for row in rows:
        if row.pending_customer is None or row.pending_customer in wanted:
            continue
        name, value = row.pending_customer
        data = {"name": value}
        if name == "customer_external_id":
            data["external_id"] = value
        elif name == "customer_domain":
            data["domain"] = value
        try:
            values = validate_input(customers.rules.create_input, data)
        except ServiceError:
            wanted[row.pending_customer] = None
            continue
        new = _new_row(customers, batch.now, uuid.uuid4()) | values
        wanted[row.pending_customer] = new["id"]
        new_rows.append(new)
    for row in rows:
        if row.pending_customer is not None:
            customer_id = wanted[row.pending_customer]
            if customer_id is None:
                batch.reject_one(
                    row,
                    ErrorCode.VALIDATION,
                    "the customer to create is not valid",
                    row.pending_customer[0],
                )
            else:
                row.data["customer_id"] = customer_id
    if new_rows and not batch.options.dry_run:
        await insert_rows(batch.session, customers.table, new_rows)
    batch.outcome.customers_created += len(new_rows)


def _validated(batch: _Batch, rows: list[_Row]) -> list[_Row]:
    kept = []
    create_input = batch.spec.rules.create_input
    for row in rows:
        if row.validated:
            kept.append(row)
            continue
        if row.number in batch.outcome.rejected_rows:
            continue
        try:
            row.values = validate_input(create_input, row.data)
        except ServiceError as exc:
            batch.reject(row, exc.errors)
            continue
        kept.append(row)
    return kept


async def _check_references(batch: _Batch, rows: list[_Row]) -> list[_Row]:
    missing: dict[str, set[uuid.UUID]] = {}
    for name, model in batch.spec.rules.references.items():
        ids = {row.values[name] for row in rows if row.values.get(name) is not None}
        if ids:
            table = model.__table__  # type: ignore[attr-defined]
            found = await existing_ids(batch.session, batch.principal, table, ids)
            missing[name] = ids - found
    kept = []
    for row in rows:
        errors = [
            UserError(ErrorCode.INVALID_REFERENCE, "no such record, or not visible", (name,))
            for name, absent in missing.items()
            if row.values.get(name) in absent
        ]
        if errors:
            batch.reject(row, errors)
        else:
            kept.append(row)
    return kept


async def _match(batch: _Batch, rows: list[_Row]) -> list[_Row]:
    """Find the existing record of each row by the match key; a key twice in one batch is
    refused (the first row is written)."""
    columns = batch.spec.match_keys[batch.options.match]
    keys = {row.number: tuple(row.values.get(c) for c in columns) for row in rows}
    usable = {n: key for n, key in keys.items() if key[0] is not None}
    found = await rows_by_key(batch.session, batch.spec.table, columns, set(usable.values()))
    seen: dict[tuple[Any, ...], int] = {}
    kept = []
    for row in rows:
        key = usable.get(row.number)
        if key is not None:
            if key in seen:
                batch.reject_one(
                    row,
                    ErrorCode.DUPLICATE,
                    f"row {seen[key]} of this file has the same {' and '.join(columns)}",
                    columns[0],
                )
                continue
            seen[key] = row.number
            row.existing = found.get(key)
        kept.append(row)
    return kept


async def _check_unique(batch: _Batch, rows: list[_Row]) -> list[_Row]:
    match = batch.spec.match_keys[batch.options.match]
    kept = list(rows)
    for group in batch.spec.rules.unique:
        if not isinstance(group, str) or (group,) == match:
            continue
        values = {row.values[group] for row in kept if row.values.get(group) is not None}
        if not values:
            continue
        owners = await ids_by_value(batch.session, batch.spec.table, group, values)
        seen: set[Any] = set()
        still = []
        for row in kept:
            value = row.values.get(group)
            own_id = row.existing.id if row.existing is not None else None
            if value is not None and (value in seen or owners.get(value, own_id) != own_id):
                batch.reject_one(
                    row, ErrorCode.DUPLICATE, f"another {batch.spec.entity} has this {group}", group
                )
                continue
            seen.add(value)
            still.append(row)
        kept = still
    return kept


async def _write(batch: _Batch, rows: list[_Row]) -> None:
    """Each record through the API's per-record steps (`kernel.crud`), the new ones then
    inserted together; updates are one statement each."""
    new: list[tuple[_Row, Change[Any]]] = []
    ids = _new_ids(sum(1 for row in rows if row.existing is None))
    for row in rows:
        try:
            if row.existing is None:
                new.append((row, await _prepare_create(batch, row, next(ids))))
            elif await _update(batch, row):
                batch.outcome.updated += 1
            else:
                batch.outcome.unchanged += 1
        except ServiceError as exc:
            batch.reject(row, exc.errors)
    if not batch.options.dry_run:
        new = await _insert(batch, new)
    batch.outcome.created += len(new)
    if batch.options.dry_run:
        return
    record = batch.options.per_record_events
    for _, change in new:
        await finish_write(batch.session, batch.principal, batch.spec.rules, change, record)


async def _prepare_create(batch: _Batch, row: _Row, row_id: uuid.UUID) -> Change[Any]:
    """The new record's change: its defaults, the row's values and what ``before_write``
    derives (in its row, ready to insert)."""
    rules = batch.spec.rules
    change = Change(
        unmapped_row(rules.model, _new_row(batch.spec, batch.now, row_id)), dict(row.values)
    )
    change.row.__dict__.update(await prepare_write(batch.session, batch.principal, rules, change))
    return change


async def _insert(
    batch: _Batch, new: list[tuple[_Row, Change[Any]]]
) -> list[tuple[_Row, Change[Any]]]:
    """One multi-row INSERT; if the database refuses it, row by row to find the culprits."""
    if not new:
        return new
    table = batch.spec.table
    try:
        async with batch.session.begin_nested():
            await insert_rows(batch.session, table, [vars(change.row) for _, change in new])
        return new
    except IntegrityError:
        pass
    kept = []
    for row, change in new:
        try:
            async with batch.session.begin_nested():
                await insert_rows(batch.session, table, [vars(change.row)])
            kept.append((row, change))
        except IntegrityError:
            batch.reject_one(
                row, ErrorCode.VALIDATION, f"{batch.spec.entity} violates a database constraint"
            )
    return kept


async def _update(batch: _Batch, row: _Row) -> bool:
    """Apply the row's changed fields to the existing record; whether anything changed."""
    rules = batch.spec.rules
    existing = unmapped_row(rules.model, row.existing._mapping)
    changes = await changed_values(batch.session, rules, existing, row.values)
    if not changes:
        return False
    if batch.options.dry_run:
        return True
    change = await start_update(batch.session, batch.principal, rules, existing, changes)
    # Bumped before the hooks, as `update_entity` does.
    bump = {"version": existing.version + 1, "updated_at": batch.now}
    existing.__dict__.update(bump)
    columns = await prepare_write(batch.session, batch.principal, rules, change) | bump
    table = batch.spec.table
    try:
        async with batch.session.begin_nested():
            await batch.session.execute(
                update(table).where(table.c.id == existing.id).values(**columns)
            )
    except IntegrityError as exc:
        raise ServiceError.single(
            ErrorCode.VALIDATION, f"{rules.entity} violates a database constraint"
        ) from exc
    existing.__dict__.update(columns)
    await finish_write(
        batch.session, batch.principal, rules, change, batch.options.per_record_events
    )
    return True
