"""Where import and export jobs run: in `crm serve` without Redis (woken when a job is created,
looking every BULK_POLL_SECONDS for pending and interrupted jobs), or as `crm worker` jobs."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from typing import Any

from arq.connections import ArqRedis, RedisSettings, create_pool
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.settings import Settings
from kernel.unit_of_work import unit_of_work
from models import utcnow
from resolvers.bulk import jobs
from resolvers.bulk.export_filters import filter_from_json
from resolvers.bulk.export_jobs import fail_export, run_export
from resolvers.bulk.imports import LostJobError, run_import

log = logging.getLogger("crm.bulk")
POLL_SECONDS = 30.0
BULK_JOB_ID = "crm:bulk:wake"


async def run_bulk_jobs_once(
    settings: Settings, session_factory: async_sessionmaker[AsyncSession]
) -> int:
    """Run every pending or interrupted import and export to its end; how many ran."""
    ran = 0
    async with session_factory() as session:
        import_ids = await jobs.runnable_imports(session, utcnow())
        export_ids = await jobs.runnable_exports(session, utcnow())
    # A claim reads the job, then writes it: in one write transaction, so that on SQLite a
    # writer committing in between cannot make it fail with "database is locked".
    for job_id in import_ids:
        async with unit_of_work(session_factory) as session:
            claimed = await jobs.claim_import(session, job_id)
        if claimed is None:
            continue  # another process took it
        try:
            await run_import(
                session_factory, job_id, settings.files_dir, settings.import_batch_size
            )
        except LostJobError:
            log.warning("import %s was taken over by another process", job_id)
        ran += 1
    for job_id in export_ids:
        async with unit_of_work(session_factory) as session:
            export = await jobs.claim_export(session, job_id)
        if export is None:
            continue
        try:
            filter_ = filter_from_json(export.entity_type, export.filter.get("filter"))
        except ValueError as exc:
            await fail_export(session_factory, job_id, str(exc))
            continue
        ttl = timedelta(seconds=settings.export_link_ttl_seconds)
        await run_export(session_factory, job_id, filter_, settings.files_dir, ttl)
        ran += 1
    return ran


async def run_bulk_jobs_forever(
    settings: Settings, session_factory: async_sessionmaker[AsyncSession], signal: asyncio.Event
) -> None:
    """Run jobs, then wait for a new one or the poll interval; a failed round is logged."""
    while True:
        signal.clear()
        try:
            await run_bulk_jobs_once(settings, session_factory)
        except Exception:
            log.exception("bulk job round failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(signal.wait(), POLL_SECONDS)


@contextlib.asynccontextmanager
async def bulk_jobs_in_process(
    settings: Settings, session_factory: async_sessionmaker[AsyncSession]
) -> AsyncIterator[None]:
    """For the app's lifetime: jobs run in this process, woken when one is created."""
    signal = asyncio.Event()
    unregister = jobs.on_job_created(signal.set)
    task = asyncio.create_task(run_bulk_jobs_forever(settings, session_factory, signal))
    try:
        yield
    finally:
        unregister()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def bulk_wake_hook(settings: Settings) -> tuple[Callable[[], None], ArqRedis]:
    """A hook for `on_job_created` that enqueues the `run_bulk_jobs` worker job."""
    assert settings.redis_url
    pool = await create_pool(RedisSettings.from_dsn(settings.redis_url))
    tasks: set[asyncio.Task[Any]] = set()

    def wake() -> None:
        task = asyncio.get_running_loop().create_task(
            pool.enqueue_job("run_bulk_jobs", _job_id=BULK_JOB_ID)
        )
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    return wake, pool


@contextlib.asynccontextmanager
async def bulk_jobs(
    settings: Settings, session_factory: async_sessionmaker[AsyncSession]
) -> AsyncIterator[None]:
    """Jobs run in this process, or (with Redis) on `crm worker`, woken from here."""
    if not settings.redis_url:
        async with bulk_jobs_in_process(settings, session_factory):
            yield
        return
    wake, pool = await bulk_wake_hook(settings)
    unregister = jobs.on_job_created(wake)
    try:
        yield
    finally:
        unregister()
        await pool.aclose()
