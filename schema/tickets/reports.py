"""Service desk reports as one query (tickets:read): `serviceReport(filter, groupBy, asOf)`
and, under it, each figure, computed in SQL only when asked for.

Every figure covers the tickets the viewer may see that match the filter (`from`/`to` are days
of creation). Durations are whole seconds from a ticket's creation.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any, TypeVar

import strawberry

from kernel.errors import InvalidArgumentError
from models import TicketChannel as TicketChannelModel
from models import TicketPriority as TicketPriorityModel
from resolvers.tickets import reports
from resolvers.tickets.report_scope import ServiceGroup, TicketReportFilter, TicketScope
from resolvers.tickets.reports import AgeBucket
from schema.connections import to_one
from schema.context import Info
from schema.customers.types import Customer
from schema.errors import bad_input
from schema.ids import decode_id_of, encode_id
from schema.permissions import can_read
from schema.tickets.enums import TicketChannel, TicketPriority, TicketStatus

R = TypeVar("R")
MAX_CUSTOMERS = 100

ServiceReportGroupBy = strawberry.enum(
    ServiceGroup, name="ServiceReportGroupBy", description="What a service report's rows are per."
)
TicketAgeBucket = strawberry.enum(
    AgeBucket,
    name="TicketAgeBucket",
    description="How long ago an open ticket was created: under 1 day, 1-3, 3-7, 7-30 days, "
    "over 30 days (lower bounds inclusive).",
)
GROUP = (
    "The row's team or assignee (global id), priority or channel (enum name); null when the "
    "report is not grouped, or for tickets without one."
)


@strawberry.input(description="Which tickets a service report covers (all given conditions).")
class ServiceReportFilter:
    team_ids: list[strawberry.ID] | None = None
    assignee_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Tickets assigned to one of these users."
    )
    priorities: list[TicketPriority] | None = None
    channels: list[TicketChannel] | None = None
    from_: date | None = strawberry.field(
        name="from", default=None, description="First day of creation (UTC), inclusive."
    )
    to: date | None = strawberry.field(
        default=None, description="Last day of creation (UTC), inclusive."
    )


@strawberry.type(description="Open tickets of one status and age.")
class TicketBacklogRow:
    group: str | None = strawberry.field(description=GROUP)
    status: TicketStatus
    age: TicketAgeBucket
    count: int


@strawberry.type(description="Seconds from creation to an event, over the tickets it happened to.")
class DurationStats:
    count: int = strawberry.field(description="Tickets measured.")
    mean_seconds: float | None = strawberry.field(description="To 0.01 s; null without tickets.")
    median_seconds: float | None = strawberry.field(
        description="The middle value (the mean of the two middle ones for an even count)."
    )


@strawberry.type(description="First response and resolution times.")
class TicketResponseTimes:
    group: str | None = strawberry.field(description=GROUP)
    first_response: DurationStats = strawberry.field(
        description="To the first public reply by staff."
    )
    resolution: DurationStats = strawberry.field(
        description="To the (latest) resolution, for tickets resolved now."
    )


@strawberry.type(description="Tickets with a target, and those that met it.")
class SlaComplianceFigures:
    targets: int
    met: int = strawberry.field(description="No breach was recorded.")
    rate: float | None = strawberry.field(description="`met / targets`, 0 to 1.")


@strawberry.type(description="Service level compliance per target kind and overall.")
class SlaComplianceRow:
    group: str | None = strawberry.field(description=GROUP)
    first_response: SlaComplianceFigures
    resolution: SlaComplianceFigures
    overall: SlaComplianceFigures = strawberry.field(
        description="Tickets with any target; met when none of its targets was breached."
    )


@strawberry.type(description="Reopened tickets among those resolved at least once.")
class TicketReopenRow:
    group: str | None = strawberry.field(description=GROUP)
    resolved: int = strawberry.field(description="Tickets resolved at least once.")
    reopened: int = strawberry.field(description="Of those, tickets reopened at least once.")
    rate: float | None = strawberry.field(description="`reopened / resolved`, 0 to 1.")


@strawberry.type(description="Customer satisfaction of the rated tickets.")
class CsatRow:
    group: str | None = strawberry.field(description=GROUP)
    count: int
    average: float | None = strawberry.field(description="Mean rating (1-5), to 0.01.")
    distribution: list[int] = strawberry.field(description="Tickets rated 1, 2, 3, 4 and 5.")


@strawberry.type(description="A customer and how many tickets they opened.")
class CustomerTicketCount:
    name: str
    tickets: int
    customer_id: strawberry.Private[uuid.UUID]

    customer = to_one(Customer, "customer_id", "customer", "The customer.")


def _group(scope: TicketScope, value: Any) -> str | None:
    match scope.group_by:
        case None:
            return None
        case ServiceGroup.TEAM | ServiceGroup.ASSIGNEE if value is not None:
            type_name = "Team" if scope.group_by is ServiceGroup.TEAM else "User"
            return encode_id(type_name, value)
        case ServiceGroup.PRIORITY | ServiceGroup.CHANNEL if value is not None:
            return str(value).upper()
    return None


def _float(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def _durations(value: reports.Durations) -> DurationStats:
    return DurationStats(
        count=value.count, mean_seconds=_float(value.mean), median_seconds=_float(value.median)
    )


def _compliance(value: reports.Compliance) -> SlaComplianceFigures:
    return SlaComplianceFigures(targets=value.targets, met=value.met, rate=value.rate)


@strawberry.type(description="Service desk figures over the tickets of a filter.")
class ServiceReport:
    as_of: datetime = strawberry.field(description="The time ages are measured at.")
    group_by: ServiceReportGroupBy | None
    scope: strawberry.Private[TicketScope]

    async def _run(self, info: Info, query: Callable[[Any], Awaitable[R]]) -> R:
        async with info.context.session_factory() as session:
            return await query(session)

    @strawberry.field(
        description="Open tickets (new, open, pending) by status and age, created by `asOf`."
    )
    async def backlog(self, info: Info) -> list[TicketBacklogRow]:
        rows = await self._run(info, lambda s: reports.ticket_backlog(s, self.scope))
        return [
            TicketBacklogRow(
                group=_group(self.scope, r.group), status=r.status, age=r.bucket, count=r.count
            )
            for r in rows
        ]

    @strawberry.field(description="First response and resolution times.")
    async def response_times(self, info: Info) -> list[TicketResponseTimes]:
        rows = await self._run(info, lambda s: reports.response_times(s, self.scope))
        return [
            TicketResponseTimes(
                group=_group(self.scope, r.group),
                first_response=_durations(r.first_response),
                resolution=_durations(r.resolution),
            )
            for r in rows
        ]

    @strawberry.field(description="Tickets that met their service level targets.")
    async def sla_compliance(self, info: Info) -> list[SlaComplianceRow]:
        rows = await self._run(info, lambda s: reports.sla_compliance(s, self.scope))
        return [
            SlaComplianceRow(
                group=_group(self.scope, r.group),
                first_response=_compliance(r.first_response),
                resolution=_compliance(r.resolution),
                overall=_compliance(r.overall),
            )
            for r in rows
        ]

    @strawberry.field(description="How many resolved tickets were reopened.")
    async def reopen_rate(self, info: Info) -> list[TicketReopenRow]:
        rows = await self._run(info, lambda s: reports.reopen_rate(s, self.scope))
        return [
            TicketReopenRow(
                group=_group(self.scope, r.group),
                resolved=r.resolved,
                reopened=r.reopened,
                rate=r.rate,
            )
            for r in rows
        ]

    @strawberry.field(description="Customer satisfaction ratings.")
    async def csat(self, info: Info) -> list[CsatRow]:
        rows = await self._run(info, lambda s: reports.csat_summary(s, self.scope))
        return [
            CsatRow(
                group=_group(self.scope, r.group),
                count=r.count,
                average=_float(r.average),
                distribution=r.distribution,
            )
            for r in rows
        ]

    @strawberry.field(description="The customers with the most tickets, most first (not grouped).")
    async def tickets_per_customer(self, info: Info, first: int = 10) -> list[CustomerTicketCount]:
        if not 1 <= first <= MAX_CUSTOMERS:
            message = f"first must be between 1 and {MAX_CUSTOMERS}"
            raise bad_input(InvalidArgumentError(message, "first"))
        rows = await self._run(info, lambda s: reports.tickets_per_customer(s, self.scope, first))
        return [
            CustomerTicketCount(name=r.name, tickets=r.tickets, customer_id=r.customer_id)
            for r in rows
        ]


def _ids(values: list[strawberry.ID] | None, type_name: str) -> list[uuid.UUID] | None:
    if values is None:
        return None
    return [decode_id_of(value, type_name, "filter") for value in values]


def _filter(value: ServiceReportFilter | None) -> TicketReportFilter:
    f = value or ServiceReportFilter()
    try:
        if f.from_ is not None and f.to is not None and f.from_ > f.to:
            raise InvalidArgumentError("`from` is after `to`", "filter")
        return TicketReportFilter(
            team_ids=_ids(f.team_ids, "Team"),
            assignee_ids=_ids(f.assignee_ids, "User"),
            priorities=[TicketPriorityModel(p) for p in f.priorities]
            if f.priorities is not None
            else None,
            channels=[TicketChannelModel(c) for c in f.channels]
            if f.channels is not None
            else None,
            start=f.from_,
            end=f.to,
        )
    except InvalidArgumentError as exc:
        raise bad_input(exc) from exc


async def resolve_service_report(
    info: Info,
    filter: Annotated[
        ServiceReportFilter | None, strawberry.argument(description="Default: all tickets.")
    ] = None,
    group_by: Annotated[
        ServiceReportGroupBy | None,
        strawberry.argument(description="Rows per group; default: one row over all."),
    ] = None,
    as_of: Annotated[
        datetime | None,
        strawberry.argument(description="When ages are measured (default: now)."),
    ] = None,
) -> ServiceReport:
    if as_of is not None and as_of.tzinfo is None:
        raise bad_input(InvalidArgumentError("asOf needs a time zone", "asOf"))
    now = (as_of or datetime.now(UTC)).astimezone(UTC)
    group = None if group_by is None else ServiceGroup(group_by.value)
    scope = TicketScope(_filter(filter), info.context.principal, now, group)
    return ServiceReport(as_of=now, group_by=group_by, scope=scope)


SERVICE_REPORT = strawberry.field(
    resolver=resolve_service_report,
    description="Service desk reports: backlog, response and resolution times, SLA compliance, "
    "reopen rate, CSAT and tickets per customer.",
    permission_classes=can_read("ticket"),
)
