"""Retention of bulk files: export files once their link has expired, uploaded import files
once their job has been finished for the retention period."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.tables import table_of
from models.bulk import ExportJob, ImportJob, JobStatus
from resolvers.bulk.imports import utf8_copy_path

export_jobs, import_jobs = table_of(ExportJob), table_of(ImportJob)
FILE_REMOVED = "file_removed"


@dataclass(frozen=True)
class RemovedFiles:
    exports: int = 0
    imports: int = 0


async def remove_expired_files(
    session: AsyncSession, files_dir: Path, now: datetime, finished_before: datetime
) -> RemovedFiles:
    """Delete the files of exports whose link expired before ``now`` (their `file_path`
    becomes null), and the uploaded files (with their UTF-8 copies) of imports finished
    before ``finished_before``. Only files under ``files_dir`` are touched: the file a
    `crm import` named on its command line is the user's own."""
    exports = (
        await session.execute(
            select(export_jobs.c.id, export_jobs.c.file_path, export_jobs.c.version).where(
                export_jobs.c.file_path.is_not(None), export_jobs.c.expires_at < now
            )
        )
    ).all()
    for job_id, file_path, version in exports:
        _unlink(Path(file_path), files_dir)
        await session.execute(
            update(export_jobs)
            .where(export_jobs.c.id == job_id)
            .values(file_path=None, version=version + 1, updated_at=now)
        )
    imports = (
        await session.execute(
            select(
                import_jobs.c.id,
                import_jobs.c.file_path,
                import_jobs.c.options,
                import_jobs.c.version,
            ).where(
                import_jobs.c.status.in_([JobStatus.COMPLETED, JobStatus.FAILED]),
                import_jobs.c.finished_at < finished_before,
            )
        )
    ).all()
    removed = 0
    uploads = files_dir / "uploads"
    for job_id, file_path, options, version in imports:
        path = Path(file_path)
        if options.get(FILE_REMOVED) or not path.is_relative_to(uploads):
            continue
        _unlink(path, files_dir)
        _unlink(utf8_copy_path(files_dir, job_id, path), files_dir)
        await session.execute(
            update(import_jobs)
            .where(import_jobs.c.id == job_id)
            .values(options=options | {FILE_REMOVED: True}, version=version + 1, updated_at=now)
        )
        removed += 1
    return RemovedFiles(exports=len(exports), imports=removed)


def _unlink(path: Path, files_dir: Path) -> None:
    if path.is_relative_to(files_dir):
        path.unlink(missing_ok=True)
