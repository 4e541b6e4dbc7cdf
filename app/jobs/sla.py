"""Where the SLA breach job runs: an in-process loop by default, or the `crm worker` cron with
Redis. Either way every breach is recorded once (the database's unique key decides), so several
processes may look at the same time."""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.settings import Settings
from resolvers.tickets.sla import detect_breaches

log = logging.getLogger("crm.sla")


async def check_sla_once(session_factory: async_sessionmaker[AsyncSession]) -> int:
    """Record every breach not recorded yet; returns how many."""
    recorded = await detect_breaches(session_factory)
    if recorded:
        log.info("sla breaches recorded", extra={"breaches": recorded})
    return recorded


async def run_sla_periodically(
    settings: Settings, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    """Look for breaches every SLA_POLL_SECONDS; a failed round is logged and retried."""
    while True:
        try:
            await check_sla_once(session_factory)
        except Exception:
            log.exception("sla round failed")
        await asyncio.sleep(settings.sla_poll_seconds)
