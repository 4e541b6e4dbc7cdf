"""Tickets and their comments: the workflow, team auto-assignment, first responses and SLAs.

A ticket's status follows `workflow.TRANSITIONS`. Given to a team without an assignee, it goes
to a member (`assignment`). The first public comment by a staff user (a principal with a user
id) records `first_response_at`, and opens a `new` ticket. Due times, the stopped clock and
breaches are `sla`'s.
"""

from __future__ import annotations

import dataclasses
import uuid
from typing import Any

from pydantic import AwareDatetime
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.crud import Change, EntityRules, update_entity
from kernel.errors import ErrorCode, ServiceError
from kernel.inputs import ExternalId, InputModel, LongText, Name, partial
from kernel.outbox import record_event
from kernel.principal import Principal
from kernel.tables import json_value, table_of
from models import (
    Contact,
    Customer,
    Team,
    Ticket,
    TicketChannel,
    TicketComment,
    TicketPriority,
    TicketStatus,
    User,
)
from resolvers.tickets import clock
from resolvers.tickets.assignment import pick_assignee
from resolvers.tickets.sla import derive_sla, record_overdue
from resolvers.tickets.workflow import DONE, check_transition, transition_effects

__all__ = ["DONE", "TICKET_COMMENT_RULES", "TICKET_RULES"]

tickets = table_of(Ticket)


class TicketCreate(InputModel):
    subject: Name
    description: LongText | None = None
    status: TicketStatus = TicketStatus.NEW
    priority: TicketPriority = TicketPriority.NORMAL
    channel: TicketChannel = TicketChannel.EMAIL
    customer_id: uuid.UUID | None = None
    contact_id: uuid.UUID | None = None
    assignee_id: uuid.UUID | None = None
    team_id: uuid.UUID | None = None
    external_id: ExternalId | None = None


class TicketResponse(InputModel):
    """What a first public staff reply changes."""

    first_response_at: AwareDatetime
    status: TicketStatus | None = None


class TicketCommentCreate(InputModel):
    ticket_id: uuid.UUID
    body: LongText
    is_public: bool = True


class TicketCommentUpdate(InputModel):
    body: LongText | None = None
    is_public: bool | None = None


async def _derive_ticket(
    session: AsyncSession, principal: Principal, change: Change[Ticket]
) -> None:
    """Check the transition and derive what it implies: timestamps, reopen count, customer
    (from the contact), assignee (from the team), SLA policy, due times and stopped clock."""
    row, values = change.row, change.values
    now = clock.now()
    if change.created:
        values["created_at"] = values["updated_at"] = now
        status = TicketStatus(change.get("status"))
        values.update(transition_effects(row, status, now, creating=True))
    else:
        if "status" in values:
            check_transition(row, TicketStatus(values["status"]), now)
        if "status" in values or "first_response_at" in values:
            # A response or a stopped clock after the due time: the breach happened already.
            await record_overdue(session, row, now, row.version)
        if "status" in values:
            values.update(transition_effects(row, TicketStatus(values["status"]), now))
    if values.get("customer_id") is None and values.get("contact_id") is not None:
        contact = await session.get(Contact, values["contact_id"])
        if contact is not None and row.customer_id is None:
            values["customer_id"] = contact.customer_id
    team_id = change.get("team_id")
    if (
        team_id is not None
        and change.get("assignee_id") is None
        and (change.created or "team_id" in values or "assignee_id" in values)
    ):
        assignee = await pick_assignee(session, team_id)
        if assignee is not None:
            values["assignee_id"] = assignee
    await derive_sla(session, change, now)


async def _author(
    session: AsyncSession, principal: Principal, change: Change[TicketComment]
) -> None:
    values = change.values
    if change.row.author_id is None and principal.user_id is not None:
        values["author_id"] = principal.user_id
    if "body" in values and not values["body"].strip():
        raise ServiceError.single(ErrorCode.VALIDATION, "a comment needs a body", "body")


async def _record_ticket_events(
    session: AsyncSession, principal: Principal, change: Change[Ticket]
) -> None:
    """`ticket.assigned`, `ticket.status_changed` and `ticket.resolved` beside `ticket.updated`
    (`ticket.assigned` also beside `ticket.created` when a new ticket has an assignee)."""
    row = change.row
    events: list[tuple[str, dict[str, Any]]] = []
    if change.created:
        if row.assignee_id is not None:
            events.append(("ticket.assigned", {"from": None, "to": row.assignee_id}))
    else:
        if change.changed("assignee_id"):
            moved = {"from": change.was("assignee_id"), "to": row.assignee_id}
            events.append(("ticket.assigned", moved))
        if change.changed("status"):
            moved = {"from": change.was("status"), "to": row.status}
            events.append(("ticket.status_changed", moved))
            if row.status == TicketStatus.RESOLVED:
                events.append(("ticket.resolved", moved))
    for event_type, moved in events:
        data = {"ticket_id": str(row.id), **{k: json_value(v) for k, v in moved.items()}}
        record_event(session, principal, event_type, "ticket", row.id, row.version, data)


TICKET_RULES = EntityRules(
    model=Ticket,
    entity="ticket",
    create_input=TicketCreate,
    update_input=partial(TicketCreate, "TicketUpdate"),
    references={
        "customer_id": Customer,
        "contact_id": Contact,
        "assignee_id": User,
        "team_id": Team,
    },
    before_write=_derive_ticket,
    after_write=_record_ticket_events,
)
# The ticket side of a first public staff reply (no user input reaches it).
_RESPONSE_RULES = dataclasses.replace(TICKET_RULES, update_input=TicketResponse)


async def _first_response(
    session: AsyncSession, principal: Principal, change: Change[TicketComment]
) -> None:
    """A staff user's comment that is (or becomes) public may be the ticket's first response."""
    row = change.row
    if not row.is_public or row.author_id is None or row.deleted_at is not None:
        return
    if change.was("is_public"):
        return
    ticket = (
        await session.execute(
            select(tickets.c.first_response_at, tickets.c.status).where(
                tickets.c.id == row.ticket_id
            )
        )
    ).one()
    if ticket.first_response_at is not None:
        return
    response: dict[str, Any] = {"first_response_at": clock.now()}
    if ticket.status == TicketStatus.NEW:
        response["status"] = TicketStatus.OPEN
    await update_entity(session, principal, _RESPONSE_RULES, row.ticket_id, response)


TICKET_COMMENT_RULES = EntityRules(
    model=TicketComment,
    entity="ticket_comment",
    create_input=TicketCommentCreate,
    update_input=TicketCommentUpdate,
    references={"ticket_id": Ticket},
    unique=(),
    before_write=_author,
    after_write=_first_response,
)
