"""The outbox writer: services record domain events in the transaction of their change."""

from __future__ import annotations

import uuid
from contextvars import ContextVar
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from models import Event
from resolvers.principal import Principal

OUTBOX_KEY = "crm.outbox"
# Set by a service that queued deliveries itself (a test event, a resend): wake the dispatchers.
WAKE_KEY = "crm.wake_dispatchers"

current_request_id: ContextVar[str | None] = ContextVar("current_request_id", default=None)


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
    )
    session.add(event)
    # The unit of work routes these to webhook endpoints before it commits.
    session.info.setdefault(OUTBOX_KEY, []).append(event)
    return event
