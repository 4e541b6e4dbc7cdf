"""Breaches: recorded with one `ticket.sla_breached` event each, exactly once, by the job or by
the late response or resolution itself."""

import asyncio
from datetime import timedelta
from typing import Any

import pytest

from models import SlaTargetKind
from resolvers.tickets.sla import detect_breaches
from tests.desk import Desk, berlin, staff

MONDAY_9 = berlin(2026, 12, 7, 9, 0)  # first response due 10:00, resolution 13:00


@pytest.fixture
async def desk(session_factory: Any) -> Desk:
    desk = Desk(session_factory)
    calendar = await desk.calendar()
    targets = [{"priority": "normal", "first_response_minutes": 60, "resolution_minutes": 240}]
    await desk.policy(targets, calendar_id=calendar.id)
    return desk


async def test_the_job_records_an_overdue_first_response_once(
    desk: Desk, session_factory: Any
) -> None:
    ticket = await desk.ticket(at=MONDAY_9)

    first = await detect_breaches(session_factory, at=berlin(2026, 12, 7, 10, 1))
    second = await detect_breaches(session_factory, at=berlin(2026, 12, 7, 10, 2))

    assert (first, second) == (1, 0)
    [breach] = await desk.breaches(ticket.id)
    assert (breach.kind, breach.due_at) == (
        SlaTargetKind.FIRST_RESPONSE,
        berlin(2026, 12, 7, 10, 0),
    )
    [event] = await desk.events("ticket.sla_breached", ticket.id)
    assert event.payload["object"] == {
        "ticket_id": str(ticket.id),
        "kind": "first_response",
        "due_at": "2026-12-07T09:00:00+00:00",
        "breached_at": "2026-12-07T09:01:00+00:00",
    }


async def test_nothing_is_recorded_before_the_due_time(desk: Desk, session_factory: Any) -> None:
    await desk.ticket(at=MONDAY_9)

    assert await detect_breaches(session_factory, at=berlin(2026, 12, 7, 9, 59)) == 0


async def test_each_target_breaches_once(desk: Desk, session_factory: Any) -> None:
    ticket = await desk.ticket(at=MONDAY_9)

    for hour in (11, 14, 15):
        await detect_breaches(session_factory, at=berlin(2026, 12, 7, hour, 0))

    assert [b.kind for b in await desk.breaches(ticket.id)] == [
        SlaTargetKind.FIRST_RESPONSE,
        SlaTargetKind.RESOLUTION,
    ]
    assert len(await desk.events("ticket.sla_breached", ticket.id)) == 2


async def test_concurrent_jobs_record_each_breach_once(desk: Desk, session_factory: Any) -> None:
    tickets = [await desk.ticket(at=MONDAY_9) for _ in range(5)]
    late = berlin(2026, 12, 7, 10, 30)

    counts = await asyncio.gather(*(detect_breaches(session_factory, at=late) for _ in range(3)))

    assert sum(counts) == 5
    for ticket in tickets:
        assert len(await desk.events("ticket.sla_breached", ticket.id)) == 1


async def test_a_late_first_response_records_the_breach_itself(
    desk: Desk, make: Any, session_factory: Any
) -> None:
    agent = await make.user(role="support")
    ticket = await desk.ticket(at=MONDAY_9)

    await desk.comment(ticket.id, staff(agent), at=berlin(2026, 12, 7, 10, 20))
    recorded_by_job = await detect_breaches(session_factory, at=berlin(2026, 12, 7, 10, 30))

    [breach] = await desk.breaches(ticket.id)
    assert breach.breached_at == berlin(2026, 12, 7, 10, 20)
    assert recorded_by_job == 0
    assert len(await desk.events("ticket.sla_breached", ticket.id)) == 1


async def test_a_late_resolution_records_the_breach_itself(desk: Desk) -> None:
    ticket = await desk.ticket(at=MONDAY_9, status="open")

    await desk.update(ticket.id, at=berlin(2026, 12, 7, 13, 5), status="resolved")

    assert [(b.kind, b.breached_at) for b in await desk.breaches(ticket.id)] == [
        (SlaTargetKind.FIRST_RESPONSE, berlin(2026, 12, 7, 13, 5)),
        (SlaTargetKind.RESOLUTION, berlin(2026, 12, 7, 13, 5)),
    ]


async def test_a_response_in_time_breaches_nothing(
    desk: Desk, make: Any, session_factory: Any
) -> None:
    agent = await make.user(role="support")
    ticket = await desk.ticket(at=MONDAY_9)
    await desk.comment(ticket.id, staff(agent), at=berlin(2026, 12, 7, 9, 50))

    await detect_breaches(session_factory, at=berlin(2026, 12, 7, 12, 0))

    assert await desk.breaches(ticket.id) == []


async def test_a_pending_ticket_does_not_breach(desk: Desk, session_factory: Any) -> None:
    ticket = await desk.ticket(at=MONDAY_9)
    await desk.update(ticket.id, at=berlin(2026, 12, 7, 9, 30), status="pending")

    recorded = await detect_breaches(session_factory, at=berlin(2026, 12, 8, 9, 0))

    assert recorded == 0
    assert await desk.breaches(ticket.id) == []


async def test_going_pending_after_the_due_time_records_the_breach(desk: Desk) -> None:
    ticket = await desk.ticket(at=MONDAY_9)

    await desk.update(ticket.id, at=berlin(2026, 12, 7, 10, 10), status="pending")

    assert [b.kind for b in await desk.breaches(ticket.id)] == [SlaTargetKind.FIRST_RESPONSE]


async def test_a_deleted_ticket_does_not_breach(desk: Desk, session_factory: Any) -> None:
    from kernel.crud import set_deleted
    from kernel.principal import SYSTEM
    from kernel.unit_of_work import unit_of_work
    from resolvers.tickets.service import TICKET_RULES

    ticket = await desk.ticket(at=MONDAY_9)
    async with unit_of_work(session_factory) as session:
        await set_deleted(session, SYSTEM, TICKET_RULES, ticket.id, True)

    assert await detect_breaches(session_factory, at=MONDAY_9 + timedelta(days=1)) == 0
