"""The event bus: what happens to the events a unit of work records.

Routers run inside the transaction, just before it commits: webhooks add their deliveries there,
so an event and the deliveries it causes commit together or not at all. Listeners run after a
transaction committed, by topic: `EVENTS` when it recorded events (automation, subscribers),
`DELIVERIES` when it queued webhook deliveries (dispatchers). A rolled-back transaction notifies
no one. Routers are installed once per process by `app.wiring.install`; listeners come and go
with the dispatchers and engines that run in the process.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from enum import StrEnum

from sqlalchemy import event as sa_event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from models.events import Event

Router = Callable[[AsyncSession, Sequence[Event]], Awaitable[None]]
Listener = Callable[[], None]

_TOPICS_KEY = "crm.bus.topics"


class Topic(StrEnum):
    EVENTS = "events"
    DELIVERIES = "deliveries"


class EventBus:
    """Routers of a transaction's events, and listeners told after it commits."""

    def __init__(self) -> None:
        self._routers: list[Router] = []
        self._listeners: dict[Topic, list[Listener]] = {topic: [] for topic in Topic}

    def add_router(self, router: Router) -> None:
        """Run ``router`` on the events of every unit of work, before it commits."""
        if router not in self._routers:
            self._routers.append(router)

    def subscribe(self, topic: Topic, listener: Listener) -> Callable[[], None]:
        """Call ``listener`` after each commit that touched ``topic``; returns the unsubscriber."""
        self._listeners[topic].append(listener)
        return lambda: self._listeners[topic].remove(listener)

    async def route(self, session: AsyncSession, events: Sequence[Event]) -> None:
        """Hand a transaction's events to every router; refuses when none is installed, so a
        process that was not wired fails loudly instead of committing events nobody routes."""
        if not events:
            return
        if not self._routers:
            raise RuntimeError("no event router installed: call app.wiring.install() first")
        for router in self._routers:
            await router(session, events)

    def committed(self, topics: set[Topic]) -> None:
        for topic in sorted(topics):
            for listener in list(self._listeners[topic]):
                listener()


bus = EventBus()


def touch(session: AsyncSession | Session, topic: Topic) -> None:
    """Tell ``topic``'s listeners once this session's transaction commits."""
    session.info.setdefault(_TOPICS_KEY, set()).add(topic)


@sa_event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    if topics := session.info.pop(_TOPICS_KEY, None):
        bus.committed(topics)


@sa_event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(_TOPICS_KEY, None)
