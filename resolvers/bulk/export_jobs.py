"""Running an export job: the file, then the job completed with its link's expiry."""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kernel.filtering import Filter
from kernel.unit_of_work import unit_of_work
from models import utcnow
from models.bulk import ExportJob, JobStatus
from resolvers.bulk.exports import export_to_file
from resolvers.bulk.jobs import export_jobs, principal_of


def export_path(files_dir: Path, job: ExportJob) -> Path:
    return files_dir / "exports" / f"{job.id}.{job.file_format}"


async def run_export(
    factory: async_sessionmaker[AsyncSession],
    job_id: uuid.UUID,
    filter_: Filter | None,
    files_dir: Path,
    link_ttl: timedelta,
) -> ExportJob:
    """Write a claimed export job's file (``filter_`` is its stored filter, parsed) and complete
    it; its download link works from now for ``link_ttl``."""
    async with factory() as session:
        job = await session.get_one(ExportJob, job_id)
    path = export_path(files_dir, job)
    try:
        count = await export_to_file(
            factory, principal_of(job.filter), job.entity_type, filter_, job.file_format, path
        )
    except Exception as exc:
        await _finish(factory, job, status=JobStatus.FAILED, error=str(exc)[:2000])
        raise
    finished = utcnow()
    return await _finish(
        factory,
        job,
        status=JobStatus.COMPLETED,
        row_count=count,
        file_path=str(path),
        finished_at=finished,
        expires_at=finished + link_ttl,
    )


async def fail_export(
    factory: async_sessionmaker[AsyncSession], job_id: uuid.UUID, error: str
) -> ExportJob:
    """Mark a claimed export failed (e.g. its stored filter no longer parses)."""
    async with factory() as session:
        job = await session.get_one(ExportJob, job_id)
    return await _finish(factory, job, status=JobStatus.FAILED, error=error)


async def _finish(
    factory: async_sessionmaker[AsyncSession], job: ExportJob, **values: object
) -> ExportJob:
    async with unit_of_work(factory) as session:
        await session.execute(
            update(export_jobs)
            .where(export_jobs.c.id == job.id)
            .values(
                version=job.version + 1,
                updated_at=utcnow(),
                finished_at=values.pop("finished_at", utcnow()),
                **values,
            )
        )
    async with factory() as session:
        return await session.get_one(ExportJob, job.id)
