"""Satisfaction ratings of resolved and closed tickets."""

from typing import Any

import pytest

from kernel.errors import ErrorCode, ServiceError
from kernel.principal import SYSTEM
from kernel.unit_of_work import unit_of_work
from resolvers.tickets import clock
from resolvers.tickets.satisfaction import rate_ticket
from tests.desk import Desk, berlin

AT = berlin(2026, 12, 7, 12, 0)


@pytest.fixture
def desk(session_factory: Any) -> Desk:
    return Desk(session_factory)


async def _rate(
    session_factory: Any, ticket_id: Any, rating: int, comment: str | None = None
) -> Any:
    with clock.fixed_at(AT):
        async with unit_of_work(session_factory) as session:
            return await rate_ticket(session, SYSTEM, ticket_id, rating, comment)


@pytest.mark.parametrize("status", ["resolved", "closed"])
async def test_a_done_ticket_takes_a_rating_and_emits_ticket_rated(
    desk: Desk, session_factory: Any, status: str
) -> None:
    ticket = await desk.ticket(status=status)

    rated = await _rate(session_factory, ticket.id, 4, "Quick and friendly")

    assert (rated.csat_rating, rated.csat_comment, rated.csat_at) == (4, "Quick and friendly", AT)
    [event] = await desk.events("ticket.rated", ticket.id)
    assert event.payload["object"] == {
        "ticket_id": str(ticket.id),
        "rating": 4,
        "comment": "Quick and friendly",
    }


async def test_rating_again_replaces_rating_and_comment(desk: Desk, session_factory: Any) -> None:
    ticket = await desk.ticket(status="resolved")
    await _rate(session_factory, ticket.id, 2, "Slow")

    rated = await _rate(session_factory, ticket.id, 5)

    assert (rated.csat_rating, rated.csat_comment) == (5, None)


@pytest.mark.parametrize("status", ["new", "open", "pending"])
async def test_an_unresolved_ticket_cannot_be_rated(
    desk: Desk, session_factory: Any, status: str
) -> None:
    ticket = await desk.ticket(status=status)

    with pytest.raises(ServiceError) as refused:
        await _rate(session_factory, ticket.id, 5)

    [error] = refused.value.errors
    assert (error.code, error.field) == (ErrorCode.INVALID_STATE, ("id",))


@pytest.mark.parametrize("rating", [0, 6, -1])
async def test_a_rating_outside_one_to_five_is_refused(
    desk: Desk, session_factory: Any, rating: int
) -> None:
    ticket = await desk.ticket(status="resolved")

    with pytest.raises(ServiceError) as refused:
        await _rate(session_factory, ticket.id, rating)

    [error] = refused.value.errors
    assert (error.code, error.field) == (ErrorCode.VALIDATION, ("rating",))
