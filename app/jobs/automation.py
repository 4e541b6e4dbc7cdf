"""Where automation rules run: an in-process loop by default, or `crm worker` jobs with Redis.

Either way the engine is woken after every commit that recorded events, and also looks every
AUTOMATION_POLL_SECONDS (a wake-up may be lost; the cursor in the database is the truth).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.settings import Settings
from kernel.bus import Topic, bus
from resolvers.campaigns.automation.conditions import conditions_filter
from resolvers.campaigns.automation.engine import EngineSettings, process_pending

log = logging.getLogger("crm.automation")


def engine_settings(settings: Settings) -> EngineSettings:
    return EngineSettings(
        max_depth=settings.automation_max_depth,
        batch_size=settings.automation_batch_size,
        settle=timedelta(seconds=settings.automation_settle_seconds),
    )


async def run_automation_once(
    settings: Settings, session_factory: async_sessionmaker[AsyncSession]
) -> int:
    """Run the rules of every event not processed yet; returns how many runs were recorded."""
    return await process_pending(session_factory, conditions_filter, engine_settings(settings))


async def run_automation_forever(
    settings: Settings, session_factory: async_sessionmaker[AsyncSession], signal: asyncio.Event
) -> None:
    """Process, then wait for a wake-up or the poll interval; a failed round is logged."""
    while True:
        signal.clear()
        try:
            await run_automation_once(settings, session_factory)
        except Exception:
            log.exception("automation round failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(signal.wait(), settings.automation_poll_seconds)


@contextlib.asynccontextmanager
async def automation_in_process(
    settings: Settings, session_factory: async_sessionmaker[AsyncSession]
) -> AsyncIterator[None]:
    """For the app's lifetime: the engine in this process, woken by commits with events."""
    signal = asyncio.Event()
    unregister = bus.subscribe(Topic.EVENTS, signal.set)
    task = asyncio.create_task(run_automation_forever(settings, session_factory, signal))
    try:
        yield
    finally:
        unregister()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
