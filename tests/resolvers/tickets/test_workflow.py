"""The ticket workflow: the transition table, reopening within the window, closing."""

from datetime import timedelta
from typing import Any

import pytest

from kernel.errors import ErrorCode, ServiceError
from models import TicketStatus
from resolvers.tickets.workflow import TRANSITIONS
from tests.desk import Desk, berlin

S = TicketStatus
# The specification: every status change a ticket may make.
ALLOWED = {
    (S.NEW, S.OPEN),
    (S.NEW, S.PENDING),
    (S.NEW, S.RESOLVED),
    (S.NEW, S.CLOSED),
    (S.OPEN, S.PENDING),
    (S.OPEN, S.RESOLVED),
    (S.OPEN, S.CLOSED),
    (S.PENDING, S.OPEN),
    (S.PENDING, S.RESOLVED),
    (S.PENDING, S.CLOSED),
    (S.RESOLVED, S.OPEN),
    (S.RESOLVED, S.CLOSED),
}
PAIRS = [(a, b) for a in S for b in S if a != b]
MONDAY = berlin(2026, 12, 7, 10, 0)


@pytest.fixture
def desk(session_factory: Any) -> Desk:
    return Desk(session_factory)


def test_the_table_is_the_specification() -> None:
    assert {(a, b) for a, targets in TRANSITIONS.items() for b in targets} == ALLOWED


@pytest.mark.parametrize(("current", "to"), PAIRS, ids=[f"{a}->{b}" for a, b in PAIRS])
async def test_status_change(desk: Desk, current: TicketStatus, to: TicketStatus) -> None:
    ticket = await desk.ticket(at=MONDAY, status=current)

    if (current, to) in ALLOWED:
        updated = await desk.update(ticket.id, at=MONDAY + timedelta(hours=1), status=to)
        assert updated.status == to
    else:
        with pytest.raises(ServiceError) as refused:
            await desk.update(ticket.id, at=MONDAY + timedelta(hours=1), status=to)
        [error] = refused.value.errors
        assert (error.code, error.field) == (ErrorCode.INVALID_STATE, ("status",))


async def test_resolving_records_when(desk: Desk) -> None:
    ticket = await desk.ticket(at=MONDAY, status="open")

    resolved = await desk.update(ticket.id, at=MONDAY + timedelta(hours=2), status="resolved")

    assert resolved.resolved_at == MONDAY + timedelta(hours=2)
    assert resolved.closed_at is None


async def test_reopening_within_the_window_counts_and_clears_the_resolution(desk: Desk) -> None:
    ticket = await desk.ticket(at=MONDAY, status="open")
    await desk.update(ticket.id, at=MONDAY, status="resolved")

    reopened = await desk.update(ticket.id, at=MONDAY + timedelta(days=7), status="open")

    assert reopened.status == S.OPEN
    assert reopened.reopened_count == 1
    assert reopened.resolved_at is None


async def test_reopening_after_the_window_is_refused(desk: Desk) -> None:
    ticket = await desk.ticket(at=MONDAY, status="open")
    await desk.update(ticket.id, at=MONDAY, status="resolved")

    with pytest.raises(ServiceError) as refused:
        await desk.update(ticket.id, at=MONDAY + timedelta(days=7, seconds=1), status="open")

    assert refused.value.errors[0].code == ErrorCode.INVALID_STATE
    assert refused.value.errors[0].field == ("status",)


async def test_a_second_resolution_records_the_latest(desk: Desk) -> None:
    ticket = await desk.ticket(at=MONDAY, status="open")
    await desk.update(ticket.id, at=MONDAY, status="resolved")
    await desk.update(ticket.id, at=MONDAY + timedelta(days=1), status="open")

    again = await desk.update(ticket.id, at=MONDAY + timedelta(days=2), status="resolved")

    assert again.resolved_at == MONDAY + timedelta(days=2)
    assert again.reopened_count == 1


async def test_closing_records_when_and_keeps_the_resolution(desk: Desk) -> None:
    ticket = await desk.ticket(at=MONDAY, status="open")
    await desk.update(ticket.id, at=MONDAY, status="resolved")

    closed = await desk.update(ticket.id, at=MONDAY + timedelta(days=3), status="closed")

    assert closed.closed_at == MONDAY + timedelta(days=3)
    assert closed.resolved_at == MONDAY


async def test_closing_an_unresolved_ticket_resolves_it_too(desk: Desk) -> None:
    ticket = await desk.ticket(at=MONDAY, status="open")

    closed = await desk.update(ticket.id, at=MONDAY + timedelta(hours=1), status="closed")

    assert closed.resolved_at == closed.closed_at == MONDAY + timedelta(hours=1)
