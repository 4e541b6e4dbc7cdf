"""The outbox writer: services record domain events in the transaction of their change."""

from __future__ import annotations

import uuid
from contextvars import ContextVar
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from kernel.bus import Topic, touch
from kernel.principal import Principal
from models.events import Event

OUTBOX_KEY = "crm.outbox"

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
    touch(session, Topic.EVENTS)
    # The unit of work hands these to the event bus's routers before it commits.
    session.info.setdefault(OUTBOX_KEY, []).append(event)
    return event
