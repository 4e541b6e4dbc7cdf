"""Service desk mutations: business calendars and SLA policies, a team's ticket assignment
(service:manage), and a ticket's satisfaction rating (tickets:write)."""

from __future__ import annotations

from datetime import date

import strawberry

import models
from kernel.permissions import Scope
from models import TicketAssignment as TicketAssignmentModel
from resolvers.tickets import satisfaction, teams
from resolvers.tickets.calendars import CALENDAR_RULES, delete_calendar
from resolvers.tickets.policies import POLICY_RULES
from schema.context import Info
from schema.errors import UserError
from schema.identity.users import Team, TicketAssignment
from schema.inputs import UNSET
from schema.mutations import create_row, set_row_deleted, update_row
from schema.permissions import can_write, requires
from schema.services import node_pk, run_service
from schema.tickets.enums import TicketPriority
from schema.tickets.mutations import WRITE_TICKET, TicketPayload, ticket_payload
from schema.tickets.sla import BusinessCalendar, SlaPolicy

WRITE_CALENDAR = can_write(CALENDAR_RULES.entity)
WRITE_POLICY = can_write(POLICY_RULES.entity)


@strawberry.input(description="A weekly working period, in the calendar's time zone.")
class WorkingPeriodInput:
    weekday: int = strawberry.field(description="0 is Monday, 6 Sunday.")
    start: str = strawberry.field(description='Local start, "HH:MM".')
    end: str = strawberry.field(
        description='Local end, "HH:MM" after the start ("24:00": midnight).'
    )


@strawberry.input(description="A new business calendar.")
class CreateBusinessCalendarInput:
    name: str
    time_zone: str = strawberry.field(description="IANA time zone, e.g. Europe/Berlin.")
    working_hours: list[WorkingPeriodInput] = strawberry.field(
        description="At least one period; periods of a day may not overlap."
    )
    holidays: list[date] | None = strawberry.field(
        default=UNSET, description="Local dates without working time."
    )


@strawberry.input(description="What an SLA policy promises for one priority.")
class SlaTargetInput:
    priority: TicketPriority
    first_response_minutes: int | None = strawberry.field(
        default=UNSET, description="Working minutes to the first public staff reply."
    )
    resolution_minutes: int | None = strawberry.field(
        default=UNSET, description="Working minutes to resolution."
    )


@strawberry.input(description="A new SLA policy.")
class CreateSlaPolicyInput:
    name: str
    customer_tier: str | None = strawberry.field(
        default=UNSET,
        description="For customers of this tier; none: the default policy. One active policy "
        "per tier (and one active default).",
    )
    calendar_id: strawberry.ID | None = strawberry.field(
        default=UNSET, description="Count working hours of this calendar; none: calendar time."
    )
    active: bool | None = UNSET
    targets: list[SlaTargetInput] | None = strawberry.field(
        default=UNSET, description="At most one per priority; given on update, replaces all."
    )


@strawberry.input(description="Changes to a business calendar.")
class UpdateBusinessCalendarInput:
    name: str | None = UNSET
    time_zone: str | None = UNSET
    working_hours: list[WorkingPeriodInput] | None = UNSET
    holidays: list[date] | None = UNSET


@strawberry.input(description="Changes to an SLA policy.")
class UpdateSlaPolicyInput:
    name: str | None = UNSET
    customer_tier: str | None = UNSET
    calendar_id: strawberry.ID | None = UNSET
    active: bool | None = UNSET
    targets: list[SlaTargetInput] | None = UNSET


@strawberry.type(description="The team as written, or the errors that stopped the write.")
class TeamPayload:
    team: Team | None
    errors: list[UserError]


@strawberry.type(
    description="The BusinessCalendar as written, or the errors that stopped the write."
)
class BusinessCalendarPayload:
    business_calendar: BusinessCalendar | None
    errors: list[UserError]


def _business_calendar_payload(
    result: models.BusinessCalendar | list[UserError],
) -> BusinessCalendarPayload:
    if isinstance(result, list):
        return BusinessCalendarPayload(business_calendar=None, errors=result)
    return BusinessCalendarPayload(business_calendar=BusinessCalendar.from_row(result), errors=[])


@strawberry.type(description="The SlaPolicy as written, or the errors that stopped the write.")
class SlaPolicyPayload:
    sla_policy: SlaPolicy | None
    errors: list[UserError]


def _sla_policy_payload(result: models.SlaPolicy | list[UserError]) -> SlaPolicyPayload:
    if isinstance(result, list):
        return SlaPolicyPayload(sla_policy=None, errors=result)
    return SlaPolicyPayload(sla_policy=SlaPolicy.from_row(result), errors=[])


def _team_payload(result: models.Team | list[UserError]) -> TeamPayload:
    if isinstance(result, list):
        return TeamPayload(team=None, errors=result)
    return TeamPayload(team=Team.from_row(result), errors=[])


@strawberry.type
class ServiceDeskMutation:
    @strawberry.mutation(
        description="Create a BusinessCalendar.", permission_classes=WRITE_CALENDAR
    )
    async def create_business_calendar(
        self, info: Info, input: CreateBusinessCalendarInput
    ) -> BusinessCalendarPayload:
        return _business_calendar_payload(await create_row(info, CALENDAR_RULES, input))

    @strawberry.mutation(
        description="Change the given fields of a BusinessCalendar. With `expectedVersion`, "
        "refuse with CONFLICT if it was changed meanwhile.",
        permission_classes=WRITE_CALENDAR,
    )
    async def update_business_calendar(
        self,
        info: Info,
        id: strawberry.ID,
        input: UpdateBusinessCalendarInput,
        expected_version: int | None = None,
    ) -> BusinessCalendarPayload:
        return _business_calendar_payload(
            await update_row(info, CALENDAR_RULES, "BusinessCalendar", id, input, expected_version)
        )

    @strawberry.mutation(description="Create a SlaPolicy.", permission_classes=WRITE_POLICY)
    async def create_sla_policy(self, info: Info, input: CreateSlaPolicyInput) -> SlaPolicyPayload:
        return _sla_policy_payload(await create_row(info, POLICY_RULES, input))

    @strawberry.mutation(
        description="Change the given fields of a SlaPolicy. With `expectedVersion`, refuse with "
        "CONFLICT if it was changed meanwhile.",
        permission_classes=WRITE_POLICY,
    )
    async def update_sla_policy(
        self,
        info: Info,
        id: strawberry.ID,
        input: UpdateSlaPolicyInput,
        expected_version: int | None = None,
    ) -> SlaPolicyPayload:
        return _sla_policy_payload(
            await update_row(info, POLICY_RULES, "SlaPolicy", id, input, expected_version)
        )

    @strawberry.mutation(
        description="Move a SlaPolicy to the trash (restorable).", permission_classes=WRITE_POLICY
    )
    async def delete_sla_policy(
        self, info: Info, id: strawberry.ID, expected_version: int | None = None
    ) -> SlaPolicyPayload:
        return _sla_policy_payload(
            await set_row_deleted(info, POLICY_RULES, "SlaPolicy", id, True, expected_version)
        )

    @strawberry.mutation(
        description="Bring a SlaPolicy back from the trash.", permission_classes=WRITE_POLICY
    )
    async def restore_sla_policy(self, info: Info, id: strawberry.ID) -> SlaPolicyPayload:
        return _sla_policy_payload(
            await set_row_deleted(info, POLICY_RULES, "SlaPolicy", id, False)
        )

    @strawberry.mutation(
        description="Delete a business calendar that no SLA policy uses.",
        permission_classes=WRITE_CALENDAR,
    )
    async def delete_business_calendar(
        self, info: Info, id: strawberry.ID
    ) -> BusinessCalendarPayload:
        result = await run_service(
            info,
            lambda s, p: delete_calendar(s, p, node_pk(id, "BusinessCalendar")),
            at=(),
        )
        return _business_calendar_payload(result)

    @strawberry.mutation(
        description="Record the customer's satisfaction (1 to 5, with an optional comment) with "
        "a resolved or closed ticket; rating again replaces it. Emits `ticket.rated`.",
        permission_classes=WRITE_TICKET,
    )
    async def rate_ticket(
        self, info: Info, id: strawberry.ID, rating: int, comment: str | None = None
    ) -> TicketPayload:
        result = await run_service(
            info,
            lambda s, p: satisfaction.rate_ticket(s, p, node_pk(id, "Ticket"), rating, comment),
            at=(),
        )
        return ticket_payload(result)

    @strawberry.mutation(
        description="How a team's new tickets without an assignee find one (service:manage).",
        permission_classes=[requires(Scope.SERVICE_MANAGE)],
    )
    async def set_team_ticket_assignment(
        self, info: Info, team_id: strawberry.ID, mode: TicketAssignment
    ) -> TeamPayload:
        mode_ = TicketAssignmentModel(mode)
        result = await run_service(
            info,
            lambda s, p: teams.set_team_ticket_assignment(
                s, p, node_pk(team_id, "Team", "team_id"), mode_
            ),
            at=(),
        )
        return _team_payload(result)
