"""Service tickets and their comments."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry

from models import TicketChannel as TicketChannelModel
from models import TicketPriority as TicketPriorityModel
from models import TicketStatus as TicketStatusModel
from resolvers.graph import COMMENTS_BY_TICKET
from schema.connections import connection_field, lazy, load_node, order_input, to_one
from schema.context import Info
from schema.customers.types import Contact, ContactFilter, Customer, CustomerFilter
from schema.filters import (
    BooleanFilter,
    DateTimeFilter,
    IDFilter,
    StringFilter,
    enum_filter,
    some_or_none,
)
from schema.identity.users import Team, TeamFilter, User, UserFilter
from schema.node import Node
from schema.permissions import can_read
from schema.tickets.enums import TicketChannel, TicketPriority, TicketStatus
from schema.tickets.sla import TicketSla, ticket_sla

TicketStatusFilter = enum_filter(TicketStatusModel, "TicketStatusFilter")
TicketPriorityFilter = enum_filter(TicketPriorityModel, "TicketPriorityFilter")
TicketChannelFilter = enum_filter(TicketChannelModel, "TicketChannelFilter")
TicketOrder = order_input("ticket", "Ticket")
TicketCommentOrder = order_input("ticket_comment", "TicketComment")


@strawberry.input(description="Conditions on ticket comments.")
class TicketCommentFilter:
    id: IDFilter | None = strawberry.UNSET
    author_id: IDFilter | None = strawberry.UNSET
    is_public: BooleanFilter | None = strawberry.UNSET
    created_at: DateTimeFilter | None = strawberry.UNSET


TicketCommentListFilter = some_or_none("TicketCommentListFilter", TicketCommentFilter, "comment")


@strawberry.input(description="Conditions on tickets.")
class TicketFilter:
    id: IDFilter | None = strawberry.UNSET
    subject: StringFilter | None = strawberry.UNSET
    status: TicketStatusFilter | None = strawberry.UNSET
    priority: TicketPriorityFilter | None = strawberry.UNSET
    channel: TicketChannelFilter | None = strawberry.UNSET
    customer_id: IDFilter | None = strawberry.UNSET
    contact_id: IDFilter | None = strawberry.UNSET
    assignee_id: IDFilter | None = strawberry.UNSET
    team_id: IDFilter | None = strawberry.UNSET
    resolved_at: DateTimeFilter | None = strawberry.UNSET
    closed_at: DateTimeFilter | None = strawberry.UNSET
    first_response_at: DateTimeFilter | None = strawberry.UNSET
    first_response_due: DateTimeFilter | None = strawberry.UNSET
    resolution_due: DateTimeFilter | None = strawberry.UNSET
    external_id: StringFilter | None = strawberry.UNSET
    created_at: DateTimeFilter | None = strawberry.UNSET
    updated_at: DateTimeFilter | None = strawberry.UNSET
    deleted_at: DateTimeFilter | None = strawberry.UNSET
    customer: CustomerFilter | None = strawberry.UNSET
    contact: ContactFilter | None = strawberry.UNSET
    assignee: UserFilter | None = strawberry.UNSET
    team: TeamFilter | None = strawberry.UNSET
    comments: TicketCommentListFilter | None = strawberry.UNSET
    and_: list[TicketFilter] | None = strawberry.field(name="and", default=strawberry.UNSET)
    or_: list[TicketFilter] | None = strawberry.field(name="or", default=strawberry.UNSET)
    not_: TicketFilter | None = strawberry.field(name="not", default=strawberry.UNSET)


@strawberry.type(description="A comment on a ticket: public (to the customer) or internal.")
class TicketComment(Node):
    body: str
    is_public: bool
    version: int
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None
    ticket_id: strawberry.Private[Any]
    author_id: strawberry.Private[Any]

    ticket = to_one(
        lazy("Ticket", "schema.tickets.types"), "ticket_id", "ticket", "The ticket commented on."
    )

    @strawberry.field(
        description="Who wrote it (null for the customer or a system).",
        permission_classes=can_read("user"),
    )
    async def author(self, info: Info) -> User | None:
        return await load_node(info, User, self.author_id)


@strawberry.type(description="A customer request to the service desk.")
class Ticket(Node):
    subject: str
    description: str | None
    status: TicketStatus
    priority: TicketPriority
    channel: TicketChannel
    resolved_at: datetime | None = strawberry.field(
        description="When it last became resolved (closing an unresolved ticket resolves it "
        "too); cleared by a reopen."
    )
    closed_at: datetime | None
    first_response_at: datetime | None = strawberry.field(
        description="When the first public comment by a staff user was made."
    )
    reopened_count: int = strawberry.field(description="How often it was reopened.")
    csat_rating: int | None = strawberry.field(description="Customer satisfaction, 1 to 5.")
    csat_comment: str | None
    csat_at: datetime | None = strawberry.field(description="When it was rated.")
    external_id: str | None
    version: int
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None
    customer_id: strawberry.Private[Any]
    contact_id: strawberry.Private[Any]
    assignee_id: strawberry.Private[Any]
    team_id: strawberry.Private[Any]
    sla_policy_id: strawberry.Private[Any]
    first_response_due: strawberry.Private[Any]
    resolution_due: strawberry.Private[Any]
    sla_paused_at: strawberry.Private[Any]

    customer = to_one(Customer, "customer_id", "customer", "The customer asking.")

    contact = to_one(Contact, "contact_id", "contact", "The person asking.")

    assignee = to_one(User, "assignee_id", "user", "The user working on it.")

    team = to_one(Team, "team_id", "team", "The team it is given to.")

    @strawberry.field(description="Service-level timers: due times, breaches, time remaining.")
    def sla(self) -> TicketSla:
        return ticket_sla(self)

    comments = connection_field(
        COMMENTS_BY_TICKET,
        TicketComment,
        TicketCommentFilter,
        TicketCommentOrder,
        "created_at",
        "Comments, oldest first.",
    )
