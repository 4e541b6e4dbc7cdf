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

from kernel.crud import EntityRules, update_entity
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
    session: AsyncSession,
    principal: Principal,
    row: Any,
    changes: dict[str, Any],
    previous: dict[str, Any] | None,
) -> None:
    """Check the transition and derive what it implies: timestamps, reopen count, customer
    (from the contact), assignee (from the team), SLA policy, due times and stopped clock."""
    now = clock.now()
    creating = previous is None
    if creating:
        changes["created_at"] = changes["updated_at"] = now
        status = TicketStatus(changes.get("status", row.status))
        changes.update(transition_effects(row, status, now, creating=True))
    else:
        if "status" in changes:
            check_transition(row, TicketStatus(changes["status"]), now)
        if "status" in changes or "first_response_at" in changes:
            # A response or a stopped clock after the due time: the breach happened already.
            await record_overdue(session, row, now, row.version)
        if "status" in changes:
            changes.update(transition_effects(row, TicketStatus(changes["status"]), now))
    if changes.get("customer_id") is None and changes.get("contact_id") is not None:
        contact = await session.get(Contact, changes["contact_id"])
        if contact is not None and row.customer_id is None:
            changes["customer_id"] = contact.customer_id
    team_id = changes.get("team_id", row.team_id)
    if (
        team_id is not None
        and changes.get("assignee_id", row.assignee_id) is None
        and (creating or "team_id" in changes or "assignee_id" in changes)
    ):
        assignee = await pick_assignee(session, team_id)
        if assignee is not None:
            changes["assignee_id"] = assignee
    await derive_sla(session, row, changes, creating, now)


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
    """`ticket.assigned`, `ticket.status_changed` and `ticket.resolved` beside `ticket.updated`
    (`ticket.assigned` also beside `ticket.created` when a new ticket has an assignee)."""
    events: list[tuple[str, dict[str, Any]]] = []
    if previous is None:
        if row.assignee_id is not None:
            events.append(("ticket.assigned", {"from": None, "to": row.assignee_id}))
    else:
        if "assignee_id" in changes and previous["assignee_id"] != row.assignee_id:
            change = {"from": previous["assignee_id"], "to": row.assignee_id}
            events.append(("ticket.assigned", change))
        if "status" in changes and previous["status"] != row.status:
            change = {"from": previous["status"], "to": row.status}
            events.append(("ticket.status_changed", change))
            if row.status == TicketStatus.RESOLVED:
                events.append(("ticket.resolved", change))
    for event_type, change in events:
        data = {"ticket_id": str(row.id), **{k: json_value(v) for k, v in change.items()}}
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
    session: AsyncSession,
    principal: Principal,
    row: Any,
    changes: dict[str, Any],
    previous: dict[str, Any] | None,
) -> None:
    """A staff user's comment that is (or becomes) public may be the ticket's first response."""
    if not row.is_public or row.author_id is None or row.deleted_at is not None:
        return
    if previous is not None and previous["is_public"]:
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
