"""One transaction per write: rows, history, outbox events and what the event bus routes them
to commit together or not at all."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from kernel.bus import bus
from kernel.outbox import OUTBOX_KEY

# An execution option that makes SQLite begin write transactions with BEGIN IMMEDIATE.
WRITE_OPTION = "crm_write_transaction"


def _write_bind(bind: AsyncEngine) -> AsyncEngine:
    engine = _write_engines.get(bind)
    if engine is None:
        engine = _write_engines[bind] = bind.execution_options(**{WRITE_OPTION: True})
    return engine


_write_engines: dict[AsyncEngine, AsyncEngine] = {}


@asynccontextmanager
async def unit_of_work(
    factory: async_sessionmaker[AsyncSession],
) -> AsyncIterator[AsyncSession]:
    """A session in a transaction: commits when the block ends, rolls back if it raises.

    Before committing, the events recorded in it go to the event bus's routers (webhooks add
    their deliveries); after committing, the bus tells its listeners.
    """
    bind = factory.kw.get("bind")
    options = {"bind": _write_bind(bind)} if isinstance(bind, AsyncEngine) else {}
    async with factory(**options) as session, session.begin():
        yield session
        # Events of rolled-back savepoints have left the session: they are not routed.
        events = [e for e in session.info.pop(OUTBOX_KEY, []) if e in session]
        await bus.route(session, events)
