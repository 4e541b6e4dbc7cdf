"""`crm worker`: webhook delivery (and connector pulls) as arq jobs on Redis, for installs
with several processes.

A job only wakes a dispatcher: every retry state lives in the database, so a lost job loses
nothing, and a cron sweep every few seconds delivers whatever is due even without wake-ups.
API processes enqueue one wake-up job after each commit that created deliveries; arq folds
wake-ups with the same job id into one while it is queued. A job delivers until nothing is due;
while it finds more due than it has room for, it enqueues a help job for another worker.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from arq import cron
from arq.connections import ArqRedis, RedisSettings, create_pool
from arq.worker import func

from app.db import create_engine, create_session_factory
from app.jobs.automation import run_automation_once
from app.jobs.pull import pull_once
from app.jobs.sla import check_sla_once
from app.settings import Settings, get_settings
from app.wiring import install as install_wiring
from webhooks.dispatcher import Dispatcher, DispatchSettings
from webhooks.targets import parse_networks

WAKE_JOB_ID = "crm:webhooks:wake"
AUTOMATION_JOB_ID = "crm:automation:wake"
HELP_JOB_ID = f"{WAKE_JOB_ID}:help"
HELP_EVERY_SECONDS = 0.5
# A million-row import takes minutes; arq's default timeout (5 min) would cut it off.
BULK_TIMEOUT_SECONDS = 6 * 3600


def dispatch_settings(settings: Settings) -> DispatchSettings:
    """The dispatcher's settings from the service's."""
    return DispatchSettings(
        lease=timedelta(seconds=settings.webhook_lease_seconds),
        timeout_seconds=settings.webhook_timeout_seconds,
        allow_http=settings.webhook_allow_http,
        allowed_networks=parse_networks(settings.webhook_allowed_networks),
    )


async def dispatch_due(ctx: dict[str, Any]) -> int:
    """Deliver until nothing is due; returns how many deliveries were attempted (0 when this
    worker was already delivering: the running drain then claims again)."""
    dispatcher: Dispatcher = ctx["dispatcher"]
    return await dispatcher.drain()


async def pull_connections(ctx: dict[str, Any]) -> int:
    """Pull every connection that is due (see integrations/pull.py); returns how many."""
    return len(await pull_once(get_settings(), ctx["session_factory"]))


async def run_automation(ctx: dict[str, Any]) -> int:
    """Run the automation rules of every new outbox event (resolvers/campaigns/automation/);
    returns how many runs were recorded. Workers take turns on the cursor row."""
    return await run_automation_once(get_settings(), ctx["session_factory"])


async def check_sla(ctx: dict[str, Any]) -> int:
    """Record SLA breaches not recorded yet (see resolvers/tickets/sla.py); returns how many.
    Workers may overlap: each breach is recorded, and its event emitted, once."""
    return await check_sla_once(ctx["session_factory"])


async def run_bulk_jobs(ctx: dict[str, Any]) -> int:
    """Run pending and interrupted import and export jobs (see app/jobs/bulk.py)."""
    from app.jobs.bulk import run_bulk_jobs_once

    return await run_bulk_jobs_once(get_settings(), ctx["session_factory"])


async def _startup(ctx: dict[str, Any]) -> None:
    install_wiring()
    settings = get_settings()
    engine = create_engine(settings.database_url, pool_size=settings.db_pool_size)
    ctx["engine"] = engine
    ctx["session_factory"] = create_session_factory(engine)
    ctx["dispatcher"] = Dispatcher(
        ctx["session_factory"],
        dispatch_settings(settings),
        on_backlog=_ask_for_help(ctx["redis"]),
    )


def _ask_for_help(pool: ArqRedis) -> Callable[[], None]:
    """A backlog hook enqueuing one help job at most every HELP_EVERY_SECONDS; a worker that is
    delivering already ignores it, an idle one joins (SKIP LOCKED shares the deliveries out)."""
    tasks: set[asyncio.Task[Any]] = set()
    last = 0.0

    def ask() -> None:
        nonlocal last
        if time.monotonic() - last < HELP_EVERY_SECONDS:
            return
        last = time.monotonic()
        task = asyncio.get_running_loop().create_task(
            pool.enqueue_job("dispatch_due", _job_id=HELP_JOB_ID)
        )
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    return ask


async def _shutdown(ctx: dict[str, Any]) -> None:
    await ctx["dispatcher"].aclose()
    await ctx["engine"].dispose()


def redis_settings(settings: Settings) -> RedisSettings:
    assert settings.redis_url, "the worker needs REDIS_URL"
    return RedisSettings.from_dsn(settings.redis_url)


class WorkerSettings:
    """arq's worker configuration (`arq app.jobs.worker.WorkerSettings`, or `crm worker`)."""

    functions = [
        dispatch_due,
        pull_connections,
        run_automation,
        check_sla,
        func(run_bulk_jobs, timeout=BULK_TIMEOUT_SECONDS),
    ]
    cron_jobs = [
        cron(dispatch_due, second=set(range(0, 60, 5)), run_at_startup=True),
        # Each connection's own interval decides; a conditional update claims each pull once.
        cron(pull_connections, second={0, 30}, run_at_startup=True),
        # Woken after commits with events; the sweep catches lost wake-ups.
        cron(run_automation, second=set(range(0, 60, 5)), run_at_startup=True),
        # Every minute (SLA targets are minutes); late responses record their own breaches.
        cron(check_sla, second={15}, run_at_startup=True),
        # Woken when a job is created; the sweep resumes interrupted jobs.
        cron(
            run_bulk_jobs,
            second={15, 45},
            run_at_startup=True,
            timeout=BULK_TIMEOUT_SECONDS,
        ),
    ]
    on_startup = _startup
    on_shutdown = _shutdown
    max_jobs = 4
    # Wake-up jobs are picked up within this; arq's default of 0.5 s would be the latency.
    poll_delay = 0.05
    allow_abort_jobs = True
    # A kept result holds the wake-up job id for an hour, refusing every later wake-up with it.
    keep_result = 0

    @staticmethod
    def redis() -> RedisSettings:
        return redis_settings(get_settings())


async def wake_hook(settings: Settings) -> tuple[Callable[[], None], ArqRedis]:
    """A `Topic.DELIVERIES` listener that enqueues one wake-up job per burst."""
    pool = await create_pool(redis_settings(settings))
    tasks: set[asyncio.Task[Any]] = set()

    async def enqueue() -> None:
        # A running wake-up still holds its id and may have claimed before this commit: then
        # queue one more run under a second id (which folds later wake-ups the same way).
        if await pool.enqueue_job("dispatch_due", _job_id=WAKE_JOB_ID) is None:
            await pool.enqueue_job("dispatch_due", _job_id=f"{WAKE_JOB_ID}:again")

    def wake() -> None:
        task = asyncio.get_running_loop().create_task(enqueue())
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    return wake, pool


async def automation_wake_hook(settings: Settings) -> tuple[Callable[[], None], ArqRedis]:
    """A `Topic.EVENTS` listener that enqueues one automation job per burst."""
    pool = await create_pool(redis_settings(settings))
    tasks: set[asyncio.Task[Any]] = set()

    async def enqueue() -> None:
        # As for deliveries: a running job may have read the outbox before this commit.
        if await pool.enqueue_job("run_automation", _job_id=AUTOMATION_JOB_ID) is None:
            await pool.enqueue_job("run_automation", _job_id=f"{AUTOMATION_JOB_ID}:again")

    def wake() -> None:
        task = asyncio.get_running_loop().create_task(enqueue())
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    return wake, pool
