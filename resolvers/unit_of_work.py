"""One transaction per write: rows, history, outbox events and their webhook deliveries commit
together or not at all."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from resolvers.events import OUTBOX_KEY
from resolvers.subscriptions import deliveries_committed, route_events


@asynccontextmanager
async def unit_of_work(
    factory: async_sessionmaker[AsyncSession],
) -> AsyncIterator[AsyncSession]:
    """A session in a transaction: commits when the block ends, rolls back if it raises.

    Before committing, every event recorded in it gets a delivery per subscribed endpoint;
    after committing, the dispatchers are woken.
    """
    async with factory() as session:
        async with session.begin():
            yield session
            # Events of rolled-back savepoints have left the session: they are not routed.
            events = [e for e in session.info.pop(OUTBOX_KEY, []) if e in session]
            routed = await route_events(session, events)
        if routed:
            deliveries_committed()
