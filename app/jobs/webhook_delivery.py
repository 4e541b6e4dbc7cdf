"""Where webhook delivery runs: in this process by default, or on arq workers with Redis."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.jobs.worker import dispatch_settings, wake_hook
from app.settings import Settings
from kernel.bus import Topic, bus
from webhooks.dispatcher import Dispatcher


@contextlib.asynccontextmanager
async def webhook_delivery(
    settings: Settings, session_factory: async_sessionmaker[AsyncSession]
) -> AsyncIterator[None]:
    """For the app's lifetime: an in-process dispatcher woken by each commit that created
    deliveries, or, with REDIS_URL, a wake-up job for the `crm worker` processes."""
    if settings.redis_url:
        wake, pool = await wake_hook(settings)
        unregister = bus.subscribe(Topic.DELIVERIES, wake)
        try:
            yield
        finally:
            unregister()
            await pool.aclose()
        return
    signal = asyncio.Event()
    unregister = bus.subscribe(Topic.DELIVERIES, signal.set)
    dispatcher = Dispatcher(session_factory, dispatch_settings(settings))
    task = asyncio.create_task(dispatcher.run_forever(signal, settings.webhook_poll_seconds))
    try:
        yield
    finally:
        unregister()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
