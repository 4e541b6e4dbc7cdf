"""Due times: from the policy of the customer's tier (or the default), in business hours, moved
on by time spent pending, recomputed when the priority changes."""

from datetime import timedelta
from typing import Any

import pytest

from kernel.errors import ErrorCode, ServiceError
from tests.desk import Desk, berlin, staff

TARGETS = [
    {"priority": "normal", "first_response_minutes": 120, "resolution_minutes": 960},
    {"priority": "urgent", "first_response_minutes": 30, "resolution_minutes": 240},
]
CHRISTMAS_EVE = berlin(2026, 12, 24, 16, 0)  # Thursday; Friday 25 is a holiday


@pytest.fixture
async def desk(session_factory: Any) -> Desk:
    desk = Desk(session_factory)
    calendar = await desk.calendar(holidays=["2026-12-25"])
    await desk.policy(TARGETS, calendar_id=calendar.id)
    return desk


async def test_due_times_skip_the_night_the_holiday_and_the_weekend(desk: Desk) -> None:
    ticket = await desk.ticket(at=CHRISTMAS_EVE)

    assert ticket.sla_policy_id is not None
    # 1 h on Thursday, then Monday 28 December from 09:00.
    assert ticket.first_response_due == berlin(2026, 12, 28, 10, 0)
    # 16 h: 1 on Thursday, 8 on Monday, 7 on Tuesday.
    assert ticket.resolution_due == berlin(2026, 12, 29, 16, 0)


async def test_a_priority_change_recomputes_from_creation(desk: Desk) -> None:
    ticket = await desk.ticket(at=berlin(2026, 12, 7, 9, 0))

    urgent = await desk.update(ticket.id, at=berlin(2026, 12, 7, 9, 10), priority="urgent")

    assert urgent.first_response_due == berlin(2026, 12, 7, 9, 30)
    assert urgent.resolution_due == berlin(2026, 12, 7, 13, 0)


async def test_a_priority_without_a_target_has_no_due_times(desk: Desk) -> None:
    ticket = await desk.ticket(at=CHRISTMAS_EVE, priority="low")

    assert (ticket.first_response_due, ticket.resolution_due) == (None, None)


async def test_without_any_policy_there_are_no_due_times(session_factory: Any) -> None:
    ticket = await Desk(session_factory).ticket(at=CHRISTMAS_EVE)

    assert (ticket.sla_policy_id, ticket.first_response_due, ticket.resolution_due) == (
        None,
        None,
        None,
    )


async def test_the_customers_tier_selects_its_policy_in_calendar_hours(
    desk: Desk, make: Any
) -> None:
    gold = await desk.policy(
        [{"priority": "normal", "first_response_minutes": 15}], customer_tier="gold"
    )
    customer = await make.customer(tier="gold")

    ticket = await desk.ticket(at=CHRISTMAS_EVE, customer_id=customer.id)

    assert ticket.sla_policy_id == gold.id
    assert ticket.first_response_due == CHRISTMAS_EVE + timedelta(minutes=15)  # no calendar
    assert ticket.resolution_due is None


async def test_other_tiers_get_the_default_policy(desk: Desk, make: Any) -> None:
    await desk.policy([{"priority": "normal", "first_response_minutes": 15}], customer_tier="gold")
    customer = await make.customer(tier="silver")

    ticket = await desk.ticket(at=CHRISTMAS_EVE, customer_id=customer.id)

    assert ticket.first_response_due == berlin(2026, 12, 28, 10, 0)


async def test_a_second_active_policy_for_a_tier_is_refused(desk: Desk) -> None:
    with pytest.raises(ServiceError) as refused:
        await desk.policy(TARGETS, name="Another default")

    [error] = refused.value.errors
    assert (error.code, error.field) == (ErrorCode.DUPLICATE, ("customer_tier",))


async def test_pending_time_in_business_hours_moves_the_due_times(desk: Desk) -> None:
    ticket = await desk.ticket(at=berlin(2026, 12, 7, 9, 0))  # due 11:00 and Tuesday 17:00
    await desk.update(ticket.id, at=berlin(2026, 12, 7, 10, 0), status="pending")

    resumed = await desk.update(ticket.id, at=berlin(2026, 12, 7, 15, 0), status="open")

    assert resumed.sla_paused_seconds == 5 * 3600
    assert resumed.sla_paused_at is None
    assert resumed.first_response_due == berlin(2026, 12, 7, 16, 0)
    assert resumed.resolution_due == berlin(2026, 12, 9, 14, 0)  # Tuesday 17:00 + 5 h


async def test_a_pending_weekend_moves_the_due_times_by_working_time_only(desk: Desk) -> None:
    ticket = await desk.ticket(at=berlin(2026, 12, 11, 9, 0))  # Friday; due 11:00
    await desk.update(ticket.id, at=berlin(2026, 12, 11, 16, 0), status="pending")

    resumed = await desk.update(ticket.id, at=berlin(2026, 12, 14, 10, 0), status="open")

    assert resumed.sla_paused_seconds == 2 * 3600  # Friday 16-17, Monday 9-10
    assert resumed.first_response_due == berlin(2026, 12, 11, 13, 0)


async def test_pending_after_the_first_response_leaves_its_due_time(desk: Desk, make: Any) -> None:
    agent = await make.user(role="support")
    ticket = await desk.ticket(at=berlin(2026, 12, 7, 9, 0))
    await desk.comment(ticket.id, staff(agent), at=berlin(2026, 12, 7, 9, 30))
    await desk.update(ticket.id, at=berlin(2026, 12, 7, 10, 0), status="pending")

    resumed = await desk.update(ticket.id, at=berlin(2026, 12, 7, 12, 0), status="open")

    assert resumed.first_response_due == berlin(2026, 12, 7, 11, 0)
    assert resumed.resolution_due == berlin(2026, 12, 9, 11, 0)  # Tuesday 17:00 + 2 h


async def test_time_resolved_before_a_reopen_does_not_count(desk: Desk) -> None:
    ticket = await desk.ticket(at=berlin(2026, 12, 7, 9, 0), status="open")
    await desk.update(ticket.id, at=berlin(2026, 12, 7, 10, 0), status="resolved")

    reopened = await desk.update(ticket.id, at=berlin(2026, 12, 8, 10, 0), status="open")

    assert reopened.sla_paused_seconds == 8 * 3600
    assert reopened.resolution_due == berlin(2026, 12, 9, 17, 0)
