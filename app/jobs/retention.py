"""The retention job: purge old soft-deleted rows, expired idempotency keys and old inbound
message ids, once (`crm purge`) or periodically."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.idempotency import purge_expired
from app.settings import Settings
from integrations.inbound import purge_messages
from kernel.principal import SYSTEM
from kernel.unit_of_work import unit_of_work
from models import utcnow
from resolvers.bulk.cleanup import remove_expired_files
from resolvers.privacy.retention import PurgeResult, purge_deleted

log = logging.getLogger("crm.retention")


async def purge_once(
    settings: Settings, session_factory: async_sessionmaker[AsyncSession]
) -> PurgeResult:
    """Purge rows soft-deleted more than RETENTION_DAYS ago, expired idempotency keys and
    inbound message ids older than INBOUND_MESSAGE_RETENTION_DAYS, in one transaction; delete
    export files whose link expired and uploaded import files of jobs finished more than
    RETENTION_DAYS ago."""
    now = utcnow()
    async with unit_of_work(session_factory) as session:
        await purge_expired(session, now)
        await purge_messages(session, now - timedelta(days=settings.inbound_message_retention_days))
        older_than = now - timedelta(days=settings.retention_days)
        result = await purge_deleted(session, SYSTEM, older_than)
        removed = await remove_expired_files(session, settings.files_dir, now, older_than)
        result.files_removed.update(exports=removed.exports, imports=removed.imports)
        return result


async def run_retention_periodically(
    settings: Settings, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    """Purge at start and every RETENTION_INTERVAL_SECONDS; a failed run is logged and retried
    at the next interval (every run is idempotent)."""
    while True:
        try:
            result = await purge_once(settings, session_factory)
            if result.purged:
                log.info("purged soft-deleted rows", extra={"purged": result.purged})
            if any(result.files_removed.values()):
                log.info("removed expired bulk files", extra={"files": result.files_removed})
        except Exception:
            log.exception("retention purge failed")
        await asyncio.sleep(settings.retention_interval_seconds)
