"""Where pulls run: an in-process loop by default, or the `crm worker` cron with Redis."""

from __future__ import annotations

import asyncio
import logging

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.settings import Settings
from integrations.pull import PullResult, pull_due

log = logging.getLogger("crm.integrations.pull")


async def pull_once(session_factory: async_sessionmaker[AsyncSession]) -> list[PullResult]:
    """Pull every connection that is due, once."""
    async with httpx.AsyncClient(timeout=30, follow_redirects=False) as client:
        return await pull_due(session_factory, client)


async def run_pulls_periodically(
    settings: Settings, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    """Look for due pulls every PULL_POLL_SECONDS; a failed round is logged and retried."""
    while True:
        try:
            for result in await pull_once(session_factory):
                log.info(
                    "pulled",
                    extra={
                        "connection": result.connection,
                        "pages": result.pages,
                        "records": result.records,
                    },
                )
        except Exception:
            log.exception("pull round failed")
        await asyncio.sleep(settings.pull_poll_seconds)
