"""Employees and teams."""

from __future__ import annotations

from datetime import datetime

import strawberry

from models import Role as RoleModel
from models import TicketAssignment as TicketAssignmentModel
from resolvers.graph import USERS_BY_TEAM
from schema.connections import connection_field, lazy, order_input, to_one
from schema.filters import BooleanFilter, DateTimeFilter, IDFilter, StringFilter, enum_filter
from schema.node import Node

Role = strawberry.enum(RoleModel, name="Role", description="What a user may do in the CRM.")
RoleFilter = enum_filter(RoleModel, "RoleFilter")
TicketAssignment = strawberry.enum(
    TicketAssignmentModel,
    name="TicketAssignment",
    description="How a team's new tickets without an assignee find one: NONE, ROUND_ROBIN "
    "(active members in turn) or LEAST_LOADED (the active member with the fewest open tickets).",
)
UserOrder = order_input("user", "User")
TeamOrder = order_input("team", "Team")


@strawberry.input(description="Conditions on teams.")
class TeamFilter:
    id: IDFilter | None = strawberry.UNSET
    name: StringFilter | None = strawberry.UNSET
    created_at: DateTimeFilter | None = strawberry.UNSET
    and_: list[TeamFilter] | None = strawberry.field(name="and", default=strawberry.UNSET)
    or_: list[TeamFilter] | None = strawberry.field(name="or", default=strawberry.UNSET)
    not_: TeamFilter | None = strawberry.field(name="not", default=strawberry.UNSET)


@strawberry.input(description="Conditions on users.")
class UserFilter:
    id: IDFilter | None = strawberry.UNSET
    email: StringFilter | None = strawberry.UNSET
    name: StringFilter | None = strawberry.UNSET
    role: RoleFilter | None = strawberry.UNSET
    team_id: IDFilter | None = strawberry.UNSET
    manager_id: IDFilter | None = strawberry.UNSET
    active: BooleanFilter | None = strawberry.UNSET
    created_at: DateTimeFilter | None = strawberry.UNSET
    team: TeamFilter | None = strawberry.UNSET
    and_: list[UserFilter] | None = strawberry.field(name="and", default=strawberry.UNSET)
    or_: list[UserFilter] | None = strawberry.field(name="or", default=strawberry.UNSET)
    not_: UserFilter | None = strawberry.field(name="not", default=strawberry.UNSET)


@strawberry.type(description="An employee using the CRM (synced from HRM).")
class User(Node):
    email: str
    name: str
    title: str | None = strawberry.field(description="Job title (from the HRM).")
    role: Role
    active: bool
    created_at: datetime
    updated_at: datetime
    team_id: strawberry.Private[object]
    manager_id: strawberry.Private[object]

    team = to_one(
        lazy("Team", "schema.identity.users"), "team_id", "team", "The team the user works in."
    )

    manager = to_one(
        lazy("User", "schema.identity.users"), "manager_id", "user", "The user's manager."
    )


@strawberry.type(description="A team of users.")
class Team(Node):
    name: str
    ticket_assignment: TicketAssignment
    created_at: datetime
    updated_at: datetime

    users = connection_field(USERS_BY_TEAM, User, UserFilter, UserOrder, "name", "Members.")
