"""The service desk's setup and timers: business calendars, SLA policies and a ticket's SLA."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import strawberry

from kernel.pagination import page_request
from models import SlaTargetKind as SlaTargetKindModel
from resolvers.graph import BREACHES_BY_TICKET, SPECS, TARGETS_BY_POLICY, ordering
from resolvers.tickets import clock
from resolvers.tickets.business_hours import calendar_of
from resolvers.tickets.sla import overdue_targets, remaining_seconds
from schema.connections import list_field, load_node, order_input, to_one
from schema.context import Info
from schema.filters import BooleanFilter, DateTimeFilter, IDFilter, StringFilter
from schema.node import Node
from schema.permissions import can_read
from schema.tickets.enums import TicketPriority

SlaTargetKind = strawberry.enum(
    SlaTargetKindModel, name="SlaTargetKind", description="Which target of an SLA."
)
BusinessCalendarOrder = order_input("business_calendar", "BusinessCalendar")
SlaPolicyOrder = order_input("sla_policy", "SlaPolicy")
# A ticket has at most one breach per kind; a policy one target per priority.
_BREACHES = page_request(first=len(SlaTargetKindModel))
_TARGETS = page_request(first=len(TicketPriority))


@strawberry.input(description="Conditions on business calendars.")
class BusinessCalendarFilter:
    id: IDFilter | None = strawberry.UNSET
    name: StringFilter | None = strawberry.UNSET
    time_zone: StringFilter | None = strawberry.UNSET


@strawberry.input(description="Conditions on SLA policies.")
class SlaPolicyFilter:
    id: IDFilter | None = strawberry.UNSET
    name: StringFilter | None = strawberry.UNSET
    customer_tier: StringFilter | None = strawberry.UNSET
    calendar_id: IDFilter | None = strawberry.UNSET
    active: BooleanFilter | None = strawberry.UNSET
    created_at: DateTimeFilter | None = strawberry.UNSET


@strawberry.type(description="A weekly working period, in the calendar's time zone.")
class WorkingPeriod:
    weekday: int = strawberry.field(description="0 is Monday, 6 Sunday.")
    start: str = strawberry.field(description='Local start, "HH:MM".')
    end: str = strawberry.field(description='Local end, "HH:MM" ("24:00": midnight).')


@strawberry.type(description="Working hours in a time zone, and holidays (no working time).")
class BusinessCalendar(Node):
    name: str
    time_zone: str = strawberry.field(description="IANA time zone, e.g. Europe/Berlin.")
    version: int
    created_at: datetime
    updated_at: datetime
    working_hours: strawberry.Private[Any]
    holidays: strawberry.Private[Any]

    @strawberry.field(name="workingHours", description="Working periods, by weekday and start.")
    def working_periods(self) -> list[WorkingPeriod]:
        return [WorkingPeriod(**period) for period in self.working_hours]

    @strawberry.field(name="holidays", description="Local dates without working time.")
    def holiday_dates(self) -> list[date]:
        return [date.fromisoformat(day) for day in self.holidays]


@strawberry.type(description="What an SLA policy promises for one priority.")
class SlaTarget(Node):
    priority: TicketPriority
    first_response_minutes: int | None = strawberry.field(
        description="Working minutes to the first public staff reply (null: no target)."
    )
    resolution_minutes: int | None = strawberry.field(
        description="Working minutes to resolution (null: no target)."
    )


@strawberry.type(
    description="Service-level targets per priority, for one customer tier or the default "
    "(no tier); counted in its calendar's working hours, or in calendar time without one."
)
class SlaPolicy(Node):
    name: str
    customer_tier: str | None = strawberry.field(
        description="Applies to customers of this tier; null: the default policy."
    )
    active: bool
    version: int
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None
    calendar_id: strawberry.Private[Any]

    calendar = to_one(
        BusinessCalendar,
        "calendar_id",
        "business_calendar",
        "The working hours targets count in; null: calendar time.",
    )

    @strawberry.field(
        description="Targets, by priority (low to urgent).",
        permission_classes=can_read("sla_target"),
    )
    async def targets(self, info: Info) -> list[SlaTarget]:
        order = ordering("sla_target", "priority")
        page = await info.context.loaders.page(TARGETS_BY_POLICY, order, _TARGETS).load(self.pk)
        rank = {priority.value: n for n, priority in enumerate(TicketPriority)}
        return [
            SlaTarget.from_row(row) for row in sorted(page.rows, key=lambda r: rank[r.priority])
        ]


@strawberry.type(description="A missed SLA target (at most one per ticket and kind).")
class SlaBreach(Node):
    kind: SlaTargetKind
    due_at: datetime = strawberry.field(description="When the target fell due.")
    breached_at: datetime = strawberry.field(
        description="When the breach was recorded: by the SLA job, or by the late response or "
        "resolution itself."
    )


@strawberry.type(description="A ticket's service-level timers.")
class TicketSla:
    first_response_due: datetime | None = strawberry.field(
        description="When the first public staff reply is due (null: no target). Fixed once "
        "the reply is made; moved on by time spent pending before it."
    )
    resolution_due: datetime | None = strawberry.field(
        description="When resolution is due (null: no target); moved on by time spent pending "
        "or resolved (before a reopen)."
    )
    paused: bool = strawberry.field(
        description="The clock is stopped because the ticket waits on the customer (pending)."
    )
    ticket: strawberry.Private[Any]

    @strawberry.field(
        description="The policy the due times come from.",
        permission_classes=can_read("sla_policy"),
    )
    async def policy(self, info: Info) -> SlaPolicy | None:
        return await load_node(info, SlaPolicy, self.ticket.sla_policy_id)

    @strawberry.field(
        description="Missed targets, recorded when they were missed.",
        permission_classes=can_read("sla_breach"),
    )
    async def breaches(self, info: Info) -> list[SlaBreach]:
        return [SlaBreach.from_row(row) for row in await _breach_rows(info, self.ticket)]

    @strawberry.field(
        description="A target was missed: a breach is recorded, or a running target is overdue "
        "now (before the SLA job records it)."
    )
    async def breached(self, info: Info) -> bool:
        if overdue_targets(self.ticket, clock.now()):
            return True
        return bool(await _breach_rows(info, self.ticket))

    @strawberry.field(
        description="Seconds of working time (in the policy's calendar) until the nearest "
        "target not met yet: the first response while there is none, resolution until "
        "resolved. Negative once that target is overdue (how far past it). While pending, what "
        "was left when the clock stopped. Null when no target is pending: none set, met, or "
        "the ticket is resolved or closed."
    )
    async def remaining(self, info: Info) -> int | None:
        policy_id = self.ticket.sla_policy_id
        policy = None
        if policy_id is not None:
            policy = await info.context.loaders.by_id(SPECS["sla_policy"].table).load(policy_id)
        calendar = None
        if policy is not None and policy.calendar_id is not None:
            loader = info.context.loaders.by_id(SPECS["business_calendar"].table)
            row = await loader.load(policy.calendar_id)
            calendar = None if row is None else calendar_of(row)
        return remaining_seconds(self.ticket, calendar, clock.now())


async def _breach_rows(info: Info, ticket: Any) -> list[Any]:
    order = ordering("sla_breach", "breached_at")
    page = await info.context.loaders.page(BREACHES_BY_TICKET, order, _BREACHES).load(ticket.pk)
    return list(page.rows)


def ticket_sla(ticket: Any) -> TicketSla:
    """The SLA view of a ticket (a `Ticket` schema object)."""
    return TicketSla(
        first_response_due=ticket.first_response_due,
        resolution_due=ticket.resolution_due,
        paused=ticket.status == "pending",
        ticket=ticket,
    )


BUSINESS_CALENDARS = list_field(
    "business_calendar",
    BusinessCalendar,
    BusinessCalendarFilter,
    BusinessCalendarOrder,
    "name",
    "Business calendars SLA policies count working time in.",
)
SLA_POLICIES = list_field(
    "sla_policy",
    SlaPolicy,
    SlaPolicyFilter,
    SlaPolicyOrder,
    "name",
    "SLA policies. `search` matches the name.",
    True,
)
