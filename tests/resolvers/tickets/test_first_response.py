"""The first public comment by a staff user is the ticket's first response."""

from typing import Any

import pytest

from kernel.crud import update_entity
from kernel.principal import SYSTEM
from kernel.unit_of_work import unit_of_work
from models import TicketStatus
from resolvers.tickets import clock
from resolvers.tickets.service import TICKET_COMMENT_RULES
from tests.desk import Desk, berlin, staff

MONDAY_9 = berlin(2026, 12, 7, 9, 0)


@pytest.fixture
def desk(session_factory: Any) -> Desk:
    return Desk(session_factory)


async def _ticket(desk: Desk, ticket_id: Any) -> Any:
    return await desk.update(ticket_id)  # no change: the stored row


async def test_a_public_staff_reply_records_the_first_response_and_opens_the_ticket(
    desk: Desk, make: Any
) -> None:
    agent = await make.user(role="support")
    ticket = await desk.ticket(at=MONDAY_9)

    await desk.comment(ticket.id, staff(agent), at=berlin(2026, 12, 7, 9, 42))

    stored = await _ticket(desk, ticket.id)
    assert stored.first_response_at == berlin(2026, 12, 7, 9, 42)
    assert stored.status == TicketStatus.OPEN


async def test_only_the_first_reply_counts(desk: Desk, make: Any) -> None:
    agent = await make.user(role="support")
    ticket = await desk.ticket(at=MONDAY_9, status="pending")
    await desk.comment(ticket.id, staff(agent), at=berlin(2026, 12, 7, 9, 42))

    await desk.comment(ticket.id, staff(agent), at=berlin(2026, 12, 7, 11, 0))

    stored = await _ticket(desk, ticket.id)
    assert stored.first_response_at == berlin(2026, 12, 7, 9, 42)
    assert stored.status == TicketStatus.PENDING  # only a new ticket is opened


async def test_an_internal_note_is_no_response(desk: Desk, make: Any) -> None:
    agent = await make.user(role="support")
    ticket = await desk.ticket(at=MONDAY_9)

    await desk.comment(ticket.id, staff(agent), at=MONDAY_9, is_public=False)

    stored = await _ticket(desk, ticket.id)
    assert (stored.first_response_at, stored.status) == (None, TicketStatus.NEW)


async def test_a_comment_without_a_staff_author_is_no_response(desk: Desk) -> None:
    ticket = await desk.ticket(at=MONDAY_9)

    await desk.comment(ticket.id, SYSTEM, at=MONDAY_9)  # e.g. the customer's mail, via the API

    assert (await _ticket(desk, ticket.id)).first_response_at is None


async def test_a_note_made_public_is_the_first_response(
    desk: Desk, make: Any, session_factory: Any
) -> None:
    agent = await make.user(role="support")
    ticket = await desk.ticket(at=MONDAY_9)
    note = await desk.comment(ticket.id, staff(agent), at=MONDAY_9, is_public=False)

    with clock.fixed_at(berlin(2026, 12, 7, 9, 15)):
        async with unit_of_work(session_factory) as session:
            await update_entity(
                session, staff(agent), TICKET_COMMENT_RULES, note.id, {"is_public": True}
            )

    assert (await _ticket(desk, ticket.id)).first_response_at == berlin(2026, 12, 7, 9, 15)
