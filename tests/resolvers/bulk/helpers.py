"""Running an import the way `crm import` does: create, claim, run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kernel.principal import Principal
from kernel.tables import table_of
from kernel.unit_of_work import unit_of_work
from models.bulk import ImportJob, ImportRowError
from resolvers.bulk.formats import format_of
from resolvers.bulk.imports import run_import
from resolvers.bulk.jobs import claim_import, create_import_job, import_options
from tests.conftest import ADMIN

errors = table_of(ImportRowError)


async def import_file(
    factory: async_sessionmaker[AsyncSession],
    path: Path,
    entity_type: str,
    *,
    dry_run: bool = False,
    batch_size: int = 1000,
    principal: Principal = ADMIN,
    **options: Any,
) -> ImportJob:
    async with unit_of_work(factory) as session:
        job = await create_import_job(
            session,
            principal,
            entity_type,
            path,
            path.name,
            format_of(path.name),
            import_options(**options),
            dry_run,
        )
    async with factory() as session:
        assert await claim_import(session, job.id) is not None
        await session.commit()
    return await run_import(factory, job.id, path.parent / "files", batch_size)


async def row_errors(factory: async_sessionmaker[AsyncSession], job: ImportJob) -> list[Any]:
    async with factory() as session:
        rows = await session.execute(
            select(errors.c.row_number, errors.c.column, errors.c.code)
            .where(errors.c.job_id == job.id)
            .order_by(errors.c.row_number)
        )
        return [tuple(row) for row in rows]


async def count(factory: async_sessionmaker[AsyncSession], model: Any, *where: Any) -> int:
    async with factory() as session:
        total = await session.scalar(select(func.count()).select_from(model).where(*where))
        return int(total or 0)
