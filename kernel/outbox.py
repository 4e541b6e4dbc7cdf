"""The outbox writer: services record domain events in the transaction of their change."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from kernel.principal import Principal
from models import Event

OUTBOX_KEY = "crm.outbox"
# Set by a service that queued deliveries itself (a test event, a resend): wake the dispatchers.
WAKE_KEY = "crm.wake_dispatchers"

# Set in a session that recorded events: after its commit, event consumers are woken.
EVENTS_KEY = "crm.events_recorded"

current_request_id: ContextVar[str | None] = ContextVar("current_request_id", default=None)
# The depth of the events being recorded: 0 for people and systems, n + 1 for the events of
# automation rule actions run for an event of depth n (see resolvers/automation).
current_automation_depth: ContextVar[int] = ContextVar("current_automation_depth", default=0)


def record_event(
    session: AsyncSession,
    principal: Principal,
    event_type: str,
    entity_type: str,
    entity_id: uuid.UUID,
    sequence: int,
    data: dict[str, Any],
    changes: dict[str, Any] | None = None,
) -> Event:
    """Add an event to the outbox; it commits, or rolls back, with the change it describes."""
    payload: dict[str, Any] = {"object": data}
    if changes is not None:
        payload["changes"] = changes
    if principal.connection_id is not None:
        # Receivers (and our own echo filter) can tell a change that came from a connection.
        payload["source"] = {
            "connection": principal.subject,
            "connection_id": str(principal.connection_id),
        }
    event = Event(
        type=event_type,
        entity_type=entity_type,
        entity_id=entity_id,
        sequence=sequence,
        payload=payload,
        actor=principal.actor,
        request_id=current_request_id.get(),
        source_connection_id=principal.connection_id,
        automation_depth=current_automation_depth.get(),
    )
    session.add(event)
    session.info[EVENTS_KEY] = True
    # The unit of work routes these to webhook endpoints before it commits.
    session.info.setdefault(OUTBOX_KEY, []).append(event)
    return event


# Called after a transaction that recorded events commits (the automation engine of this
# process, or a wake-up job for the workers').
_event_hooks: list[Callable[[], None]] = []


def on_events_committed(hook: Callable[[], None]) -> Callable[[], None]:
    """Register ``hook``; returns a function that unregisters it."""
    _event_hooks.append(hook)
    return lambda: _event_hooks.remove(hook)


@sa_event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    if session.info.pop(EVENTS_KEY, False):
        for hook in list(_event_hooks):
            hook()


@sa_event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(EVENTS_KEY, None)
