"""Inputs of the ticket and comment mutations. An update input has the create input's
fields, all optional: only the fields given are changed."""

from __future__ import annotations

import strawberry

from schema.inputs import UNSET
from schema.tickets.enums import TicketChannel, TicketPriority, TicketStatus


@strawberry.input(description="A new ticket.")
class CreateTicketInput:
    subject: str
    description: str | None = UNSET
    status: TicketStatus | None = UNSET
    priority: TicketPriority | None = UNSET
    channel: TicketChannel | None = UNSET
    customer_id: strawberry.ID | None = UNSET
    contact_id: strawberry.ID | None = UNSET
    assignee_id: strawberry.ID | None = UNSET
    team_id: strawberry.ID | None = strawberry.field(
        default=UNSET,
        description="The team it is given to; without an assignee, the team's ticket "
        "assignment may pick one.",
    )
    external_id: str | None = UNSET


@strawberry.input(description="Changes to a Ticket.")
class UpdateTicketInput:
    subject: str | None = UNSET
    description: str | None = UNSET
    status: TicketStatus | None = UNSET
    priority: TicketPriority | None = UNSET
    channel: TicketChannel | None = UNSET
    customer_id: strawberry.ID | None = UNSET
    contact_id: strawberry.ID | None = UNSET
    assignee_id: strawberry.ID | None = UNSET
    team_id: strawberry.ID | None = UNSET
    external_id: str | None = UNSET


@strawberry.input(description="A new comment on a ticket.")
class CreateTicketCommentInput:
    ticket_id: strawberry.ID
    body: str
    is_public: bool | None = UNSET


@strawberry.input(description="Changes to a comment.")
class UpdateTicketCommentInput:
    body: str | None = UNSET
    is_public: bool | None = UNSET
