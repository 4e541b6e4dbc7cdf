"""Reading jobs: a job is seen by whoever started it, and by admins."""

from __future__ import annotations

import uuid
from typing import Any, TypeVar

from sqlalchemy import select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel

from kernel.errors import ErrorCode, ServiceError
from kernel.principal import Principal
from kernel.tables import table_of
from models.bulk import ExportJob, ImportJob, ImportRowError

J = TypeVar("J", bound=SQLModel)
import_errors = table_of(ImportRowError)


def may_see(principal: Principal, requested_by: str | None) -> bool:
    return principal.role == "admin" or requested_by == principal.actor


async def visible_job(
    session: AsyncSession, principal: Principal, model: type[J], job_id: uuid.UUID
) -> J:
    """The job if this principal may see it; NOT_FOUND otherwise."""
    job = await session.get(model, job_id)
    if job is None or not may_see(principal, job.requested_by):  # type: ignore[attr-defined]
        raise ServiceError.single(ErrorCode.NOT_FOUND, "no such job", "id")
    return job


async def import_errors_page(
    session: AsyncSession, job_id: uuid.UUID, first: int, after: tuple[int, str] | None
) -> tuple[list[Any], bool]:
    """Up to ``first`` rejected-row errors after the (row, column) cursor; and whether more."""
    statement = select(import_errors).where(import_errors.c.job_id == job_id)
    if after is not None:
        statement = statement.where(
            tuple_(import_errors.c.row_number, import_errors.c.column) > tuple_(*after)
        )
    statement = statement.order_by(import_errors.c.row_number, import_errors.c.column)
    rows = (await session.execute(statement.limit(first + 1))).all()
    return list(rows[:first]), len(rows) > first


async def get_import_job(session: AsyncSession, principal: Principal, job_id: uuid.UUID) -> Any:
    return await visible_job(session, principal, ImportJob, job_id)


async def get_export_job(session: AsyncSession, principal: Principal, job_id: uuid.UUID) -> Any:
    return await visible_job(session, principal, ExportJob, job_id)
