"""Tickets and their comments."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from models import (
    Contact,
    Customer,
    Ticket,
    TicketChannel,
    TicketComment,
    TicketPriority,
    TicketStatus,
    User,
    utcnow,
)
from resolvers.crud import EntityRules
from resolvers.errors import ErrorCode, ServiceError
from resolvers.events import record_event
from resolvers.inputs import ExternalId, InputModel, LongText, Name, partial
from resolvers.principal import Principal
from resolvers.tables import json_value

DONE = {TicketStatus.RESOLVED, TicketStatus.CLOSED}


class TicketCreate(InputModel):
    subject: Name
    description: LongText | None = None
    status: TicketStatus = TicketStatus.NEW
    priority: TicketPriority = TicketPriority.NORMAL
    channel: TicketChannel = TicketChannel.EMAIL
    customer_id: uuid.UUID | None = None
    contact_id: uuid.UUID | None = None
    assignee_id: uuid.UUID | None = None
    external_id: ExternalId | None = None


class TicketCommentCreate(InputModel):
    ticket_id: uuid.UUID
    body: LongText
    is_public: bool = True


class TicketCommentUpdate(InputModel):
    body: LongText | None = None
    is_public: bool | None = None


async def _derive_ticket(
    session: AsyncSession, principal: Principal, row: Any, changes: dict[str, Any], _: Any
) -> None:
    if "status" in changes:
        done = changes["status"] in DONE
        if done and row.resolved_at is None:
            changes["resolved_at"] = utcnow()
        elif not done:
            changes["resolved_at"] = None
    if changes.get("customer_id") is None and changes.get("contact_id") is not None:
        contact = await session.get(Contact, changes["contact_id"])
        if contact is not None and row.customer_id is None:
            changes["customer_id"] = contact.customer_id


async def _author(
    session: AsyncSession, principal: Principal, row: Any, changes: dict[str, Any], _: Any
) -> None:
    if row.author_id is None and principal.user_id is not None:
        changes["author_id"] = principal.user_id
    if "body" in changes and not changes["body"].strip():
        raise ServiceError.single(ErrorCode.VALIDATION, "a comment needs a body", "body")


async def _record_ticket_events(
    session: AsyncSession,
    principal: Principal,
    row: Any,
    changes: dict[str, Any],
    previous: dict[str, Any] | None,
) -> None:
    """`ticket.assigned`, `ticket.status_changed` and `ticket.resolved` beside `ticket.updated`."""
    if previous is None:
        return
    events: list[tuple[str, dict[str, Any]]] = []
    if "assignee_id" in changes and previous["assignee_id"] != row.assignee_id:
        events.append(("ticket.assigned", {"from": previous["assignee_id"], "to": row.assignee_id}))
    if "status" in changes and previous["status"] != row.status:
        events.append(("ticket.status_changed", {"from": previous["status"], "to": row.status}))
        if row.status == TicketStatus.RESOLVED:
            events.append(("ticket.resolved", {"from": previous["status"], "to": row.status}))
    for event_type, change in events:
        data = {"ticket_id": str(row.id), **{k: json_value(v) for k, v in change.items()}}
        record_event(session, principal, event_type, "ticket", row.id, row.version, data)


TICKET_RULES = EntityRules(
    model=Ticket,
    entity="ticket",
    create_input=TicketCreate,
    update_input=partial(TicketCreate, "TicketUpdate"),
    references={"customer_id": Customer, "contact_id": Contact, "assignee_id": User},
    before_write=_derive_ticket,
    after_write=_record_ticket_events,
)

TICKET_COMMENT_RULES = EntityRules(
    model=TicketComment,
    entity="ticket_comment",
    create_input=TicketCommentCreate,
    update_input=TicketCommentUpdate,
    references={"ticket_id": Ticket},
    unique=(),
    before_write=_author,
)
