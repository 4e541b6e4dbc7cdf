"""Where pulls run: an in-process loop by default, or the `crm worker` cron with Redis."""

from __future__ import annotations

import asyncio
import logging

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.jobs.targets import target_policy
from app.settings import Settings
from integrations.connections import connection_named
from integrations.pull import PullResult, pull_connection, pull_due

log = logging.getLogger("crm.integrations.pull")


async def pull_once(
    settings: Settings, session_factory: async_sessionmaker[AsyncSession], name: str | None = None
) -> list[PullResult]:
    """Pull every connection that is due, or the connection ``name`` now; once."""
    policy = target_policy(settings)
    async with httpx.AsyncClient(timeout=30, follow_redirects=False) as client:
        if name is None:
            return await pull_due(session_factory, client, policy)
        async with session_factory() as session:
            connection = await connection_named(session, name)
        if connection is None:
            raise LookupError(f"no connection named {name!r}")
        result = await pull_connection(session_factory, connection.id, client, policy, force=True)
        if result is None:
            raise LookupError(f"{name} has no pull settings")
        return [result]


async def run_pulls_periodically(
    settings: Settings, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    """Look for due pulls every PULL_POLL_SECONDS; a failed round is logged and retried."""
    while True:
        try:
            for result in await pull_once(settings, session_factory):
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
