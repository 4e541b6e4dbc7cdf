"""Service desk reports over the tickets a filter and the viewer's visibility let through:
backlog by status and age, first response and resolution times, SLA compliance, reopen rate,
CSAT and tickets per customer. Each is one aggregate query whose figures are exact and the
same on SQLite and PostgreSQL: durations are whole seconds, means and medians are computed
from integer sums and counts.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    and_,
    case,
    func,
    literal,
    or_,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.tables import table_of
from models import (
    Customer,
    SlaBreach,
    SlaTargetKind,
    Ticket,
    TicketStatus,
    UTCDateTime,
)
from resolvers.deals.reports.scope import dialect_name, start_report
from resolvers.tickets.report_scope import (
    TicketScope,
    seconds_between,
)

tickets = table_of(Ticket)
breaches = table_of(SlaBreach)
customers = table_of(Customer)
OPEN_STATUSES = (TicketStatus.NEW, TicketStatus.OPEN, TicketStatus.PENDING)
HUNDREDTH = Decimal("0.01")


class AgeBucket(StrEnum):
    UNDER_1_DAY = "under_1_day"
    DAYS_1_TO_3 = "days_1_to_3"
    DAYS_3_TO_7 = "days_3_to_7"
    DAYS_7_TO_30 = "days_7_to_30"
    OVER_30_DAYS = "over_30_days"


# The youngest age (days) of each bucket but the first, in order.
BUCKET_STARTS = (
    (AgeBucket.UNDER_1_DAY, 1),
    (AgeBucket.DAYS_1_TO_3, 3),
    (AgeBucket.DAYS_3_TO_7, 7),
    (AgeBucket.DAYS_7_TO_30, 30),
)


@dataclass(frozen=True)
class BacklogRow:
    group: Any
    status: TicketStatus
    bucket: AgeBucket
    count: int


@dataclass(frozen=True)
class Durations:
    """Whole seconds from creation; mean and median to 0.01 s, None without tickets."""

    count: int
    mean: Decimal | None
    median: Decimal | None


@dataclass(frozen=True)
class TimesRow:
    group: Any
    first_response: Durations
    resolution: Durations


@dataclass(frozen=True)
class Compliance:
    targets: int
    met: int

    @property
    def rate(self) -> float | None:
        return self.met / self.targets if self.targets else None


@dataclass(frozen=True)
class SlaRow:
    group: Any
    first_response: Compliance
    resolution: Compliance
    overall: Compliance


@dataclass(frozen=True)
class ReopenRow:
    group: Any
    resolved: int
    reopened: int

    @property
    def rate(self) -> float | None:
        return self.reopened / self.resolved if self.resolved else None


@dataclass(frozen=True)
class CsatRow:
    group: Any
    count: int
    average: Decimal | None
    distribution: list[int]  # ratings 1 to 5


@dataclass(frozen=True)
class CustomerCount:
    customer_id: uuid.UUID
    name: str
    tickets: int


def _ratio(total: Any, count: Any) -> Decimal | None:
    if not count:
        return None
    return (Decimal(int(total)) / int(count)).quantize(HUNDREDTH, rounding=ROUND_HALF_UP)


async def ticket_backlog(session: AsyncSession, scope: TicketScope) -> list[BacklogRow]:
    """Open tickets (new, open, pending) created by ``scope.now``, per group, status and age."""
    await start_report(session)
    now = scope.now
    bucket = case(
        *[
            (tickets.c.created_at > literal(now - timedelta(days=days), UTCDateTime()), b.value)
            for b, days in BUCKET_STARTS
        ],
        else_=AgeBucket.OVER_30_DAYS.value,
    )
    inner = (
        select(scope.group_key(), tickets.c.status, bucket.label("bucket"))
        .where(
            *scope.conditions(),
            tickets.c.status.in_([s.value for s in OPEN_STATUSES]),
            tickets.c.created_at <= literal(now, UTCDateTime()),
        )
        .subquery("open_tickets")
    )
    c = inner.c
    statement = select(c.group_key, c.status, c.bucket, func.count().label("tickets")).group_by(
        c.group_key, c.status, c.bucket
    )
    rows = (await session.execute(statement)).all()
    result = [
        BacklogRow(row.group_key, TicketStatus(row.status), AgeBucket(row.bucket), row.tickets)
        for row in rows
    ]
    order = {s: n for n, s in enumerate(OPEN_STATUSES)}
    buckets = list(AgeBucket)
    return sorted(
        result, key=lambda r: (str(r.group or ""), order[r.status], buckets.index(r.bucket))
    )


def _durations(dialect: str, scope: TicketScope, kind: str, end: Any) -> Any:
    """(kind, group, count, sum, middle sum, middle count) of the seconds to ``end``."""
    inner = (
        select(
            scope.group_key(),
            seconds_between(dialect, tickets.c.created_at, end).label("seconds"),
        )
        .where(*scope.conditions(), end.is_not(None))
        .subquery(f"{kind}_seconds")
    )
    ranked = select(
        inner.c.group_key,
        inner.c.seconds,
        func.row_number().over(partition_by=inner.c.group_key, order_by=inner.c.seconds).label("n"),
        func.count().over(partition_by=inner.c.group_key).label("total"),
    ).subquery(f"{kind}_ranked")
    r = ranked.c
    # The middle row, or the two middle rows of an even count.
    middle = or_(r.n == (r.total + 1) // 2, r.n == (r.total + 2) // 2)
    return select(
        literal(kind).label("kind"),
        r.group_key,
        func.count().label("measured"),
        func.sum(r.seconds).label("total_seconds"),
        func.sum(case((middle, r.seconds))).label("middle_seconds"),
        func.count(case((middle, 1))).label("middle_count"),
    ).group_by(r.group_key)


async def response_times(session: AsyncSession, scope: TicketScope) -> list[TimesRow]:
    """Seconds from creation to the first public staff reply, and to resolution (of tickets
    resolved now), per group: count, mean and median."""
    await start_report(session)
    dialect = dialect_name(session)
    statement = union_all(
        _durations(dialect, scope, "first_response", tickets.c.first_response_at),
        _durations(dialect, scope, "resolution", tickets.c.resolved_at),
    )
    per_group: dict[Any, dict[str, Durations]] = {}
    for row in (await session.execute(statement)).all():
        durations = Durations(
            row.measured,
            _ratio(row.total_seconds, row.measured),
            _ratio(row.middle_seconds, row.middle_count),
        )
        per_group.setdefault(row.group_key, {})[row.kind] = durations
    none = Durations(0, None, None)
    return [
        TimesRow(group, kinds.get("first_response", none), kinds.get("resolution", none))
        for group, kinds in sorted(per_group.items(), key=lambda item: str(item[0] or ""))
    ]


async def sla_compliance(session: AsyncSession, scope: TicketScope) -> list[SlaRow]:
    """Per target kind and overall: tickets with a due time, and those without a breach of it
    (overall: tickets with any target and no breach at all)."""
    await start_report(session)
    per_ticket = (
        select(
            breaches.c.ticket_id,
            func.max(case((breaches.c.kind == SlaTargetKind.FIRST_RESPONSE.value, 1))).label(
                "first_response"
            ),
            func.max(case((breaches.c.kind == SlaTargetKind.RESOLUTION.value, 1))).label(
                "resolution"
            ),
        )
        .group_by(breaches.c.ticket_id)
        .subquery("breached")
    )
    b = per_ticket.c
    has_first = tickets.c.first_response_due.is_not(None)
    has_resolution = tickets.c.resolution_due.is_not(None)
    has_any = or_(has_first, has_resolution)

    def counted(condition: Any) -> Any:
        return func.count(case((condition, 1)))

    statement = (
        select(
            scope.group_key(),
            counted(has_first).label("first_targets"),
            counted(and_(has_first, b.first_response.is_(None))).label("first_met"),
            counted(has_resolution).label("resolution_targets"),
            counted(and_(has_resolution, b.resolution.is_(None))).label("resolution_met"),
            counted(has_any).label("targets"),
            counted(and_(has_any, b.ticket_id.is_(None))).label("met"),
        )
        .select_from(tickets.outerjoin(per_ticket, b.ticket_id == tickets.c.id))
        .where(*scope.conditions(), has_any)
        .group_by(*scope.grouping())
    )
    rows = (await session.execute(statement)).all()
    return sorted(
        (
            SlaRow(
                row.group_key,
                Compliance(row.first_targets, row.first_met),
                Compliance(row.resolution_targets, row.resolution_met),
                Compliance(row.targets, row.met),
            )
            for row in rows
        ),
        key=lambda r: str(r.group or ""),
    )


async def reopen_rate(session: AsyncSession, scope: TicketScope) -> list[ReopenRow]:
    """Tickets reopened at least once over tickets resolved at least once (resolved now, or
    reopened, which takes a resolution first)."""
    await start_report(session)
    reopened = tickets.c.reopened_count > 0
    resolved = or_(tickets.c.resolved_at.is_not(None), reopened)
    statement = (
        select(
            scope.group_key(),
            func.count(case((resolved, 1))).label("resolved"),
            func.count(case((reopened, 1))).label("reopened"),
        )
        .where(*scope.conditions(), resolved)
        .group_by(*scope.grouping())
    )
    rows = (await session.execute(statement)).all()
    result = [ReopenRow(row.group_key, row.resolved, row.reopened) for row in rows]
    return sorted(result, key=lambda r: str(r.group or ""))


async def csat_summary(session: AsyncSession, scope: TicketScope) -> list[CsatRow]:
    """Rated tickets: how many, their average rating (to 0.01) and how many gave each rating."""
    await start_report(session)
    rating = tickets.c.csat_rating
    statement = (
        select(
            scope.group_key(),
            func.count().label("rated"),
            func.sum(rating).label("total"),
            *[func.count(case((rating == n, 1))).label(f"r{n}") for n in range(1, 6)],
        )
        .where(*scope.conditions(), rating.is_not(None))
        .group_by(*scope.grouping())
    )
    rows = (await session.execute(statement)).all()
    result = [
        CsatRow(
            row.group_key,
            row.rated,
            _ratio(row.total, row.rated),
            [getattr(row, f"r{n}") for n in range(1, 6)],
        )
        for row in rows
    ]
    return sorted(result, key=lambda r: str(r.group or ""))


async def tickets_per_customer(
    session: AsyncSession, scope: TicketScope, limit: int
) -> list[CustomerCount]:
    """The ``limit`` customers with the most tickets, most first (then by name)."""
    await start_report(session)
    counts = (
        select(tickets.c.customer_id, func.count().label("tickets"))
        .where(*scope.conditions(), tickets.c.customer_id.is_not(None))
        .group_by(tickets.c.customer_id)
        .subquery("per_customer")
    )
    statement = (
        select(counts.c.customer_id, customers.c.name, counts.c.tickets)
        .join(customers, customers.c.id == counts.c.customer_id)
        .order_by(counts.c.tickets.desc(), customers.c.name, customers.c.id)
        .limit(limit)
    )
    rows = (await session.execute(statement)).all()
    return [CustomerCount(row.customer_id, row.name, row.tickets) for row in rows]
