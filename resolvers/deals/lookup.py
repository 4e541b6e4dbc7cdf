"""Rows named by a mutation argument other than `id`."""

from __future__ import annotations

import uuid
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel

from kernel.crud import EntityRules, get_row
from kernel.errors import ErrorCode, ServiceError, UserError
from kernel.principal import Principal

M = TypeVar("M", bound=SQLModel)


async def row_for_argument(
    session: AsyncSession,
    principal: Principal,
    rules: EntityRules[M],
    row_id: uuid.UUID,
    argument: str,
) -> M:
    """The visible, not deleted row, locked for update; errors point at ``argument``."""
    try:
        row = await get_row(session, principal, rules, row_id)
    except ServiceError as exc:
        errors = [UserError(error.code, error.message, (argument,)) for error in exc.errors]
        raise ServiceError(errors) from exc
    if getattr(row, "deleted_at", None) is not None:
        raise ServiceError.single(
            ErrorCode.INVALID_STATE, f"the {rules.entity} is deleted; restore it first", argument
        )
    return row
