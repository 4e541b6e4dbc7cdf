"""The write path every entity shares: validate, check references, write, record the event.

The bulk import writes rows set-wise but runs the same per-record steps: `changed_values`,
`start_update`, `prepare_write` and `finish_write` are shared by both writers."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar, get_args

from pydantic import BaseModel, ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import configure_mappers
from sqlmodel import SQLModel

from kernel.audit import record_audit
from kernel.errors import ErrorCode, ServiceError, UserError
from kernel.guards import check_write
from kernel.outbox import record_event
from kernel.principal import Principal
from kernel.tables import json_value, row_to_dict, table_of
from kernel.visibility import row_filter
from models.base import utcnow

M = TypeVar("M", bound=SQLModel)


@dataclass(frozen=True)
class Change(Generic[M]):
    """One record's write, as the entity's hooks see it.

    ``row`` is the record: in ``before_write`` it holds the values before the write (a new
    record's defaults), in ``after_write`` the written ones. ``values`` are the fields being
    written (inputs that are not columns included); ``before_write`` may add derived ones.
    ``previous`` holds the column values before an update; None on create.
    """

    row: M
    values: dict[str, Any]
    previous: Mapping[str, Any] | None = None

    @property
    def created(self) -> bool:
        return self.previous is None

    def get(self, name: str) -> Any:
        """The value ``name`` has once written: the one being written, else the row's."""
        values = self.values
        return values[name] if name in values else getattr(self.row, name)

    def was(self, name: str) -> Any:
        """The column's value before the update; None on create."""
        return None if self.previous is None else self.previous[name]

    def changed(self, name: str) -> bool:
        """Whether the write gives ``name`` another value than it had (on create: any)."""
        if name not in self.values:
            return False
        return self.previous is None or self.previous[name] != self.values[name]


Hook = Callable[[AsyncSession, Principal, Change[M]], Awaitable[None]]
"""``hook(session, principal, change)``: raises ServiceError to refuse the write."""
CurrentExtras = Callable[[AsyncSession, M], Awaitable[dict[str, Any]]]


@dataclass(frozen=True)
class EntityRules(Generic[M]):
    """How one entity is written: its input models, references and domain hooks.

    ``before_write`` may check invariants and derive fields (adding them to the change's
    values) before the row is written; ``after_write`` records history and extra events.
    """

    model: type[M]
    entity: str
    create_input: type[BaseModel]
    update_input: type[BaseModel]
    references: Mapping[str, type[SQLModel]] = field(default_factory=dict)
    # Fields (or field groups) no two rows may share; checked before writing for a clear error.
    unique: tuple[str | tuple[str, ...], ...] = ("external_id",)
    before_write: Hook[M] | None = None
    after_write: Hook[M] | None = None
    # The current values of inputs that are not columns (e.g. a purchase's lines), so that
    # sending them unchanged changes nothing.
    current_extras: CurrentExtras[M] | None = None

    @property
    def soft_deletable(self) -> bool:
        return "deleted_at" in table_of(self.model).c


def unmapped_row(model: type[M], values: Mapping[str, Any]) -> M:
    """A ``model`` instance holding ``values`` (its columns) that the ORM does not track.

    It reads like a loaded row, but it has no instance state: a session refuses to add it and
    assigning an attribute fails, so a hook cannot write it by accident; write its
    ``__dict__``. It costs a dict copy, where ``model()`` validates every field (~150 us):
    the bulk import builds one per record.
    """
    if not model.__mapper__.configured:  # type: ignore[attr-defined]
        configure_mappers()  # attribute access needs the configured mapper
    row: M = model.__new__(model)  # as SQLAlchemy makes a loaded row, without its state
    row.__dict__.update(values)
    return row


@dataclass(frozen=True)
class UpsertResult(Generic[M]):
    """One record of a batch: the row written (created or updated) or why it was rejected."""

    index: int
    row: M | None = None
    created: bool = False
    errors: Sequence[UserError] = ()


def validation_errors(exc: ValidationError) -> list[UserError]:
    return [
        UserError(
            code=ErrorCode.VALIDATION,
            message=str(error["ctx"]["error"]) if error["type"] == "value_error" else error["msg"],
            field=tuple(str(part) for part in error["loc"]),
        )
        for error in exc.errors()
    ]


def validate_input(schema: type[BaseModel], data: Mapping[str, Any]) -> dict[str, Any]:
    """The fields given in ``data``, parsed by ``schema``; VALIDATION errors otherwise."""
    try:
        parsed = schema.model_validate(dict(data))
    except ValidationError as exc:
        raise ServiceError(validation_errors(exc)) from exc
    values = parsed.__dict__  # the parsed fields (getattr per name costs more at import scale)
    return {name: values[name] for name in parsed.model_fields_set}


async def get_row(
    session: AsyncSession, principal: Principal, rules: EntityRules[M], row_id: uuid.UUID
) -> M:
    """The row with this id if the principal may see it, locked for update where the database
    can; NOT_FOUND otherwise."""
    table = table_of(rules.model)
    statement = select(rules.model).where(table.c.id == row_id)
    if (visible := row_filter(table.name, principal)) is not None:
        statement = statement.where(visible)
    row = (await session.execute(statement.with_for_update())).scalar_one_or_none()
    if row is None:
        raise ServiceError.single(ErrorCode.NOT_FOUND, f"{rules.entity} not found", "id")
    return row


async def _check_references(
    session: AsyncSession, principal: Principal, rules: EntityRules[M], values: Mapping[str, Any]
) -> None:
    errors = []
    for name, target in rules.references.items():
        value = values.get(name)
        if value is None:
            continue
        table = table_of(target)
        statement = select(table.c.id).where(table.c.id == value)
        if (visible := row_filter(table.name, principal)) is not None:
            statement = statement.where(visible)
        found = await session.scalar(statement)
        if found is None:
            errors.append(
                UserError(ErrorCode.INVALID_REFERENCE, f"no {table.name} with this id", (name,))
            )
    if errors:
        raise ServiceError(errors)


async def _check_unique(
    session: AsyncSession, rules: EntityRules[M], row: M, values: Mapping[str, Any]
) -> None:
    table = table_of(rules.model)
    for group in rules.unique:
        names = (group,) if isinstance(group, str) else group
        if not any(name in values for name in names):
            continue
        key = {name: values.get(name, getattr(row, name)) for name in names}
        if any(value is None for value in key.values()):
            continue
        clash = await session.scalar(
            select(table.c.id).where(
                *(table.c[name] == value for name, value in key.items()),
                table.c.id != row.id,  # type: ignore[attr-defined]
            )
        )
        if clash is not None:
            raise ServiceError.single(
                ErrorCode.DUPLICATE,
                f"another {rules.entity} has this {' and '.join(names)}",
                names[-1],
            )


async def _flush(session: AsyncSession, rules: EntityRules[M]) -> None:
    try:
        await session.flush()
    except IntegrityError as exc:
        # The checks above make this rare: a concurrent writer or a constraint only the
        # database knows. Either way the request is refused and nothing is kept.
        raise ServiceError.single(
            ErrorCode.VALIDATION, f"{rules.entity} violates a database constraint"
        ) from exc


async def _write(
    session: AsyncSession, principal: Principal, rules: EntityRules[M], change: Change[M]
) -> None:
    row = change.row
    await _check_references(session, principal, rules, change.values)
    await _check_unique(session, rules, row, change.values)
    for name, value in (await prepare_write(session, principal, rules, change)).items():
        setattr(row, name, value)
    session.add(row)
    await _flush(session, rules)
    await finish_write(session, principal, rules, change)


async def changed_values(
    session: AsyncSession, rules: EntityRules[M], row: M, values: Mapping[str, Any]
) -> dict[str, Any]:
    """Those of ``values`` that differ from the row's (inputs that are not columns compared
    with ``current_extras``); INVALID_STATE when the row is deleted."""
    if getattr(row, "deleted_at", None) is not None:
        raise ServiceError.single(
            ErrorCode.INVALID_STATE, f"{rules.entity} is deleted; restore it first", "id"
        )
    current: dict[str, Any] = {}
    if rules.current_extras is not None and any(
        name not in table_of(rules.model).c for name in values
    ):
        current = await rules.current_extras(session, row)
    # Names that are neither columns nor extras always count as changed.
    return {
        name: value
        for name, value in values.items()
        if current.get(name, getattr(row, name, _ABSENT)) != value
    }


_ABSENT = object()


async def start_update(
    session: AsyncSession,
    principal: Principal,
    rules: EntityRules[M],
    row: M,
    changes: dict[str, Any],
) -> Change[M]:
    """The change of ``row`` to ``changes`` (see `changed_values`), once the write guards
    allow it; its ``previous`` is the row as it stands."""
    await check_write(session, principal, rules.entity, row.id, changes)  # type: ignore[attr-defined]
    previous = {column.key: getattr(row, column.key) for column in table_of(rules.model).c}
    return Change(row, changes, previous)


async def prepare_write(
    session: AsyncSession, principal: Principal, rules: EntityRules[M], change: Change[M]
) -> dict[str, Any]:
    """Run ``before_write``; the column values the record is then written with."""
    if rules.before_write is not None:
        await rules.before_write(session, principal, change)
    columns = table_of(rules.model).c
    return {name: value for name, value in change.values.items() if name in columns}


async def finish_write(
    session: AsyncSession,
    principal: Principal,
    rules: EntityRules[M],
    change: Change[M],
    record: bool = True,
) -> None:
    """Once the row is written: run ``after_write``, then (``record``) record
    `<entity>.created` or `.updated` with what changed."""
    if rules.after_write is not None:
        await rules.after_write(session, principal, change)
    if not record:
        return
    if change.previous is None:
        _emit(session, principal, rules, "created", change.row)
        return
    previous, row, columns = change.previous, change.row, table_of(rules.model).c
    # The values now also hold what the hooks derived (e.g. closed_at from the stage).
    diff = {
        name: {"old": json_value(previous[name]), "new": json_value(getattr(row, name))}
        for name in change.values
        if name in columns and previous[name] != getattr(row, name)
    }
    _emit(session, principal, rules, "updated", row, diff)


def _emit(
    session: AsyncSession,
    principal: Principal,
    rules: EntityRules[M],
    action: str,
    row: M,
    changes: dict[str, Any] | None = None,
) -> None:
    """Record the change twice in its transaction: as an outbox event and in the audit log."""
    data = row_to_dict(row, table_of(rules.model))
    row_id = row.id  # type: ignore[attr-defined]
    event_type = f"{rules.entity}.{action}"
    record_event(
        session,
        principal,
        event_type,
        rules.entity,
        row_id,
        row.version,  # type: ignore[attr-defined]
        data,
        changes,
    )
    if changes is None:  # a new row: every field is new
        changes = {name: {"old": None, "new": value} for name, value in data.items()}
    record_audit(session, principal, event_type, rules.entity, row_id, changes)


async def create_entity(
    session: AsyncSession, principal: Principal, rules: EntityRules[M], data: Mapping[str, Any]
) -> M:
    """Validate and insert a new row, and record `<entity>.created`."""
    change = Change(rules.model(), validate_input(rules.create_input, data))
    await _write(session, principal, rules, change)
    return change.row


def _not_nullable(rules: EntityRules[M], name: str) -> bool:
    """Whether an update may not set ``name`` to null: what a create may not leave null either
    (a required field, or one whose type has no null, like a ticket's priority or a policy's
    targets, which default when left out), or a NOT NULL column."""
    column = table_of(rules.model).c.get(name)
    if column is not None and not column.nullable:
        return True
    field = rules.create_input.model_fields.get(name)
    if field is None:
        return False
    return field.is_required() or type(None) not in get_args(field.annotation)


async def update_entity(
    session: AsyncSession,
    principal: Principal,
    rules: EntityRules[M],
    row_id: uuid.UUID,
    data: Mapping[str, Any],
    expected_version: int | None = None,
) -> M:
    """Apply the given fields; CONFLICT when ``expected_version`` is not the stored one."""
    values = validate_input(rules.update_input, data)
    nulls = [name for name, value in values.items() if value is None and _not_nullable(rules, name)]
    if nulls:
        raise ServiceError(
            [UserError(ErrorCode.VALIDATION, "may not be null", (name,)) for name in nulls]
        )
    row = await get_row(session, principal, rules, row_id)
    _check_version(rules, row, expected_version)
    changes = await changed_values(session, rules, row, values)
    if not changes:
        return row
    change = await start_update(session, principal, rules, row, changes)
    _bump(row)
    await _write(session, principal, rules, change)
    return row


def _check_version(rules: EntityRules[M], row: M, expected_version: int | None) -> None:
    version = row.version  # type: ignore[attr-defined]
    if expected_version is not None and expected_version != version:
        raise ServiceError.single(
            ErrorCode.CONFLICT,
            f"{rules.entity} is at version {version}, not {expected_version}: "
            "it was changed meanwhile; reload and retry",
            "expectedVersion",
        )


def _bump(row: Any) -> None:
    row.version += 1
    row.updated_at = utcnow()


async def set_deleted(
    session: AsyncSession,
    principal: Principal,
    rules: EntityRules[M],
    row_id: uuid.UUID,
    deleted: bool,
    expected_version: int | None = None,
) -> M:
    """Soft-delete or restore a row, recording `<entity>.deleted` or `.restored`."""
    row = await get_row(session, principal, rules, row_id)
    _check_version(rules, row, expected_version)
    # A record an external system owns entirely ("*") is deleted there, not here.
    await check_write(session, principal, rules.entity, row_id, ["deleted_at"])
    is_deleted = getattr(row, "deleted_at") is not None  # noqa: B009
    if is_deleted == deleted:
        state = "deleted" if deleted else "not deleted"
        raise ServiceError.single(ErrorCode.INVALID_STATE, f"{rules.entity} is {state}", "id")
    before = row.deleted_at  # type: ignore[attr-defined]
    row.deleted_at = utcnow() if deleted else None
    _bump(row)
    await _flush(session, rules)
    after = row.deleted_at  # type: ignore[attr-defined]
    change = {"deleted_at": {"old": json_value(before), "new": json_value(after)}}
    _emit(session, principal, rules, "deleted" if deleted else "restored", row, change)
    return row


async def upsert_by_external_id(
    session: AsyncSession,
    principal: Principal,
    rules: EntityRules[M],
    items: Sequence[Mapping[str, Any]],
) -> list[UpsertResult[M]]:
    """Create or update each record by its external id, each in its own savepoint.

    A rejected record leaves no trace; the others are kept.
    """
    table = table_of(rules.model)
    results: list[UpsertResult[M]] = []
    for index, item in enumerate(items):
        external_id = item.get("external_id")
        try:
            async with session.begin_nested():
                if not external_id:
                    raise ServiceError.single(
                        ErrorCode.VALIDATION, "externalId is required", "external_id"
                    )
                existing = await session.scalar(
                    select(table.c.id).where(table.c.external_id == external_id)
                )
                if existing is None:
                    row = await create_entity(session, principal, rules, item)
                else:
                    row = await update_entity(session, principal, rules, existing, item)
            results.append(UpsertResult(index=index, row=row, created=existing is None))
        except ServiceError as exc:
            results.append(UpsertResult(index=index, errors=exc.errors))
    return results
