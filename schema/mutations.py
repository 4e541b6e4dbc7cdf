"""The write path the entity mutations share: create, update, trash and restore one row, and
upsert a batch by `externalId`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel

from kernel.crud import (
    EntityRules,
    UpsertResult,
    create_entity,
    set_deleted,
    update_entity,
    upsert_by_external_id,
)
from kernel.errors import ErrorCode, ServiceError
from kernel.principal import Principal
from kernel.unit_of_work import unit_of_work
from schema.context import Info
from schema.errors import UserError, user_errors
from schema.inputs import to_values
from schema.services import node_pk, run_service

MAX_BATCH = 100
M = TypeVar("M", bound=SQLModel)


async def create_row(info: Info, rules: EntityRules[M], input: object) -> M | list[UserError]:
    """The row created from a create input, or why not."""
    return await run_service(info, lambda s, p: create_entity(s, p, rules, to_values(input)))


async def update_row(
    info: Info,
    rules: EntityRules[M],
    type_name: str,
    id: strawberry.ID,
    input: object,
    expected_version: int | None,
) -> M | list[UserError]:
    """The row with the given fields of an update input changed, or why not."""
    return await run_service(
        info,
        lambda s, p: update_entity(
            s, p, rules, node_pk(id, type_name), to_values(input), expected_version
        ),
    )


async def set_row_deleted(
    info: Info,
    rules: EntityRules[M],
    type_name: str,
    id: strawberry.ID,
    deleted: bool,
    expected_version: int | None = None,
) -> M | list[UserError]:
    """The row moved to the trash (or back from it), or why not."""
    return await run_service(
        info,
        lambda s, p: set_deleted(s, p, rules, node_pk(id, type_name), deleted, expected_version),
    )


@dataclass(frozen=True)
class UpsertOutcome(Generic[M]):
    """One record of a batch upsert: the row written, or the errors at its `inputs` path."""

    index: int
    created: bool
    row: M | None
    errors: list[UserError]


async def upsert_rows(
    info: Info, rules: EntityRules[M], inputs: Sequence[object]
) -> list[UpsertOutcome[M]]:
    """Each input created or updated by its `externalId`, on its own; at most MAX_BATCH."""
    if len(inputs) > MAX_BATCH:
        error = UserError(
            code=ErrorCode.LIMIT_EXCEEDED,
            message=f"at most {MAX_BATCH} records per call",
            field=["inputs"],
        )
        return [UpsertOutcome(index=0, created=False, row=None, errors=[error])]
    items: list[dict[str, Any] | ServiceError] = []
    for item in inputs:
        try:
            items.append(to_values(item))
        except ServiceError as exc:
            items.append(exc)
    async with unit_of_work(info.context.session_factory) as session:
        outcomes = await _upsert_valid(session, info.context.principal, rules, items)
    return [
        UpsertOutcome(
            index=outcome.index,
            created=outcome.created,
            row=outcome.row,
            errors=user_errors(list(outcome.errors), ("inputs", str(outcome.index))),
        )
        for outcome in outcomes
    ]


async def _upsert_valid(
    session: AsyncSession,
    principal: Principal,
    rules: EntityRules[M],
    items: list[dict[str, Any] | ServiceError],
) -> list[UpsertResult[M]]:
    valid = [(index, item) for index, item in enumerate(items) if isinstance(item, dict)]
    done = await upsert_by_external_id(session, principal, rules, [item for _, item in valid])
    outcomes: dict[int, UpsertResult[M]] = {
        valid[outcome.index][0]: UpsertResult(
            index=valid[outcome.index][0],
            row=outcome.row,
            created=outcome.created,
            errors=outcome.errors,
        )
        for outcome in done
    }
    for index, item in enumerate(items):
        if isinstance(item, ServiceError):
            outcomes[index] = UpsertResult(index=index, errors=item.errors)
    return [outcomes[index] for index in range(len(items))]
