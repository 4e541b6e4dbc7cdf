"""Service levels of tickets: the policy that applies, the due times it gives, the clock that
stops while a ticket waits on the customer (or is resolved), and breaches recorded once.

The clock runs while a ticket is `new` or `open`. Entering `pending`, `resolved` or `closed`
stops it (`sla_paused_at`); leaving `pending` or reopening adds the working time it was stopped
to `sla_paused_seconds`. Due times are always ``created_at`` plus the target plus that paused
working time, counted in the policy's calendar (calendar time without one). A first-response
due time no longer moves once the first response is made.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, exists, or_, select, true
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kernel.crud import Change
from kernel.outbox import record_event
from kernel.principal import SYSTEM
from kernel.tables import json_value, table_of
from kernel.unit_of_work import unit_of_work
from models import (
    BusinessCalendar,
    Customer,
    SlaBreach,
    SlaPolicy,
    SlaTarget,
    SlaTargetKind,
    Ticket,
    TicketPriority,
    TicketStatus,
)
from resolvers.tickets import clock
from resolvers.tickets.business_hours import (
    Calendar,
    add_business_seconds,
    business_seconds_between,
    calendar_of,
)

RUNNING = frozenset({TicketStatus.NEW, TicketStatus.OPEN})

tickets = table_of(Ticket)
customers = table_of(Customer)
policies = table_of(SlaPolicy)
targets = table_of(SlaTarget)
calendars = table_of(BusinessCalendar)
breaches = table_of(SlaBreach)


@dataclass(frozen=True)
class Terms:
    """What a policy promises for one priority, and the calendar it counts in."""

    policy_id: uuid.UUID | None
    first_response_minutes: int | None = None
    resolution_minutes: int | None = None
    calendar: Calendar | None = None


async def select_policy(session: AsyncSession, customer_id: uuid.UUID | None) -> uuid.UUID | None:
    """The active policy of the customer's tier, else the active default policy (no tier).

    The policies service keeps one active policy per tier; were there several (written
    concurrently), the newest wins.
    """
    tier = None
    if customer_id is not None:
        tier = await session.scalar(select(customers.c.tier).where(customers.c.id == customer_id))
    default = policies.c.customer_tier.is_(None)
    statement = (
        select(policies.c.id)
        .where(
            policies.c.active.is_(True),
            policies.c.deleted_at.is_(None),
            default if tier is None else or_(policies.c.customer_tier == tier, default),
        )
        .order_by(default, policies.c.created_at.desc(), policies.c.id)
        .limit(1)
    )
    return await session.scalar(statement)


async def terms_for(
    session: AsyncSession, policy_id: uuid.UUID | None, priority: TicketPriority
) -> Terms:
    """The targets of a policy for a priority (None where it sets none) and its calendar."""
    if policy_id is None:
        return Terms(None)
    row = (
        await session.execute(
            select(
                targets.c.first_response_minutes,
                targets.c.resolution_minutes,
                calendars.c.time_zone,
                calendars.c.working_hours,
                calendars.c.holidays,
            )
            .select_from(policies)
            .outerjoin(
                targets, and_(targets.c.policy_id == policies.c.id, targets.c.priority == priority)
            )
            .outerjoin(calendars, calendars.c.id == policies.c.calendar_id)
            .where(policies.c.id == policy_id)
        )
    ).one_or_none()
    if row is None:
        return Terms(None)
    return Terms(
        policy_id,
        row.first_response_minutes,
        row.resolution_minutes,
        None if row.time_zone is None else calendar_of(row),
    )


async def calendar_for(session: AsyncSession, policy_id: uuid.UUID | None) -> Calendar | None:
    """The calendar a policy counts in (None: calendar time)."""
    if policy_id is None:
        return None
    row = (
        await session.execute(
            select(calendars.c.time_zone, calendars.c.working_hours, calendars.c.holidays)
            .join(policies, policies.c.calendar_id == calendars.c.id)
            .where(policies.c.id == policy_id)
        )
    ).one_or_none()
    return None if row is None else calendar_of(row)


def due_at(
    created_at: datetime, paused_seconds: int, minutes: int | None, calendar: Calendar | None
) -> datetime | None:
    """When a target of ``minutes`` working minutes falls due, the paused time added."""
    if minutes is None:
        return None
    return add_business_seconds(created_at, minutes * 60 + paused_seconds, calendar)


async def derive_sla(session: AsyncSession, change: Change[Ticket], now: datetime) -> None:
    """Add the SLA fields a ticket write implies to its values: the clock stopping or going on,
    and the policy and due times when they are set or may have changed."""
    row, values = change.row, change.values
    status = TicketStatus(change.get("status"))
    was_running = change.created or row.status in RUNNING
    paused_seconds: int = row.sla_paused_seconds or 0
    resumed = False
    if status not in RUNNING and was_running:
        values["sla_paused_at"] = now
    elif status in RUNNING and not was_running and row.sla_paused_at is not None:
        calendar = await calendar_for(session, row.sla_policy_id)
        paused_seconds += max(0, business_seconds_between(row.sla_paused_at, now, calendar))
        values["sla_paused_seconds"] = paused_seconds
        values["sla_paused_at"] = None
        resumed = True
    reselect = change.created or "priority" in values or "customer_id" in values
    if not (reselect or resumed):
        return
    policy_id = (
        await select_policy(session, change.get("customer_id")) if reselect else row.sla_policy_id
    )
    terms = await terms_for(session, policy_id, TicketPriority(change.get("priority")))
    created_at = change.get("created_at")
    values["sla_policy_id"] = terms.policy_id
    if change.get("first_response_at") is None:
        values["first_response_due"] = due_at(
            created_at, paused_seconds, terms.first_response_minutes, terms.calendar
        )
    values["resolution_due"] = due_at(
        created_at, paused_seconds, terms.resolution_minutes, terms.calendar
    )


def overdue_targets(row: Any, at: datetime) -> list[tuple[SlaTargetKind, datetime]]:
    """The targets whose clock runs and whose due time has passed at ``at``."""
    if row.status not in RUNNING or row.sla_paused_at is not None or row.deleted_at is not None:
        return []
    found = []
    if row.first_response_at is None and row.first_response_due and row.first_response_due < at:
        found.append((SlaTargetKind.FIRST_RESPONSE, row.first_response_due))
    if row.resolution_due is not None and row.resolution_due < at:
        found.append((SlaTargetKind.RESOLUTION, row.resolution_due))
    return found


def _insert(session: AsyncSession) -> Any:
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(breaches)


async def record_breach(
    session: AsyncSession,
    ticket_id: uuid.UUID,
    version: int,
    kind: SlaTargetKind,
    due: datetime,
    at: datetime,
) -> bool:
    """Record a missed target and its `ticket.sla_breached` event, unless it is recorded
    already (by anyone: the unique key decides); whether this call recorded it."""
    statement = (
        _insert(session)
        .values(
            id=uuid.uuid4(),
            created_at=at,
            updated_at=at,
            version=1,
            ticket_id=ticket_id,
            kind=kind.value,
            due_at=due,
            breached_at=at,
        )
        .on_conflict_do_nothing(index_elements=["ticket_id", "kind"])
        .returning(breaches.c.id)
    )
    if (await session.execute(statement)).scalar_one_or_none() is None:
        return False
    data = {"ticket_id": str(ticket_id), "kind": kind.value}
    data |= {
        "due_at": json_value(due.astimezone(UTC)),
        "breached_at": json_value(at.astimezone(UTC)),
    }
    record_event(session, SYSTEM, "ticket.sla_breached", "ticket", ticket_id, version, data)
    return True


async def record_overdue(session: AsyncSession, row: Any, at: datetime, version: int) -> None:
    """Record the breaches of a ticket as it stands, before a response or a stopped clock
    would hide them from the breach job."""
    for kind, due in overdue_targets(row, at):
        await record_breach(session, row.id, version, kind, due, at)


def _candidates(kind: SlaTargetKind, at: datetime, limit: int) -> Any:
    due = (
        tickets.c.first_response_due
        if kind is SlaTargetKind.FIRST_RESPONSE
        else tickets.c.resolution_due
    )
    unanswered = (
        tickets.c.first_response_at.is_(None) if kind is SlaTargetKind.FIRST_RESPONSE else true()
    )
    recorded = exists().where(breaches.c.ticket_id == tickets.c.id, breaches.c.kind == kind.value)
    return (
        select(tickets.c.id, tickets.c.version, due.label("due"))
        .where(
            due < at,
            unanswered,
            tickets.c.status.in_([status.value for status in RUNNING]),
            tickets.c.sla_paused_at.is_(None),
            tickets.c.deleted_at.is_(None),
            ~recorded,
        )
        .order_by(due, tickets.c.id)
        .limit(limit)
    )


async def detect_breaches(
    session_factory: async_sessionmaker[AsyncSession],
    at: datetime | None = None,
    batch_size: int = 500,
) -> int:
    """Record every breach not recorded yet (one transaction per batch); how many this call
    recorded. Safe beside other processes doing the same: each breach is recorded once."""
    at = at or clock.now()
    recorded = 0
    for kind in SlaTargetKind:
        while True:
            async with unit_of_work(session_factory) as session:
                rows = (await session.execute(_candidates(kind, at, batch_size))).all()
                for row in rows:
                    if await record_breach(session, row.id, row.version, kind, row.due, at):
                        recorded += 1
            if len(rows) < batch_size:
                break
    return recorded


def remaining_seconds(ticket: Any, calendar: Calendar | None, now: datetime) -> int | None:
    """Working seconds until the nearest target not met yet (first response while there is
    none, resolution until resolved); negative once it is overdue; None when no target is
    pending. While the clock is stopped, what was left when it stopped."""
    if ticket.status not in RUNNING and ticket.status != TicketStatus.PENDING:
        return None
    dues = [ticket.resolution_due]
    if ticket.first_response_at is None:
        dues.append(ticket.first_response_due)
    pending = [due for due in dues if due is not None]
    if not pending:
        return None
    return business_seconds_between(ticket.sla_paused_at or now, min(pending), calendar)
