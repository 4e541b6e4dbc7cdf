"""Team auto-assignment: round robin in a stable order, least loaded by open tickets."""

import asyncio
from typing import Any

import pytest

from kernel.principal import SYSTEM
from kernel.unit_of_work import unit_of_work
from models import TicketAssignment
from resolvers.tickets.teams import set_team_ticket_assignment
from tests.desk import Desk


@pytest.fixture
def desk(session_factory: Any) -> Desk:
    return Desk(session_factory)


async def _team(make: Any, session_factory: Any, mode: TicketAssignment, members: int) -> Any:
    team = await make.team()
    async with unit_of_work(session_factory) as session:
        await set_team_ticket_assignment(session, SYSTEM, team.id, mode)
    users = [await make.user(team_id=team.id, role="support") for _ in range(members)]
    return team, sorted(users, key=lambda user: user.id)


async def test_round_robin_gives_tickets_to_members_in_turn(
    desk: Desk, make: Any, session_factory: Any
) -> None:
    team, members = await _team(make, session_factory, TicketAssignment.ROUND_ROBIN, 3)

    assignees = [(await desk.ticket(team_id=team.id)).assignee_id for _ in range(4)]

    assert assignees == [members[0].id, members[1].id, members[2].id, members[0].id]


async def test_round_robin_skips_inactive_members(
    desk: Desk, make: Any, session_factory: Any
) -> None:
    team, members = await _team(make, session_factory, TicketAssignment.ROUND_ROBIN, 2)
    away = await make.user(team_id=team.id, active=False)

    assignees = {(await desk.ticket(team_id=team.id)).assignee_id for _ in range(3)}

    assert away.id not in assignees
    assert assignees == {member.id for member in members}


async def test_least_loaded_picks_the_member_with_fewest_open_tickets(
    desk: Desk, make: Any, session_factory: Any
) -> None:
    team, (busy, idle) = await _team(make, session_factory, TicketAssignment.LEAST_LOADED, 2)
    for _ in range(2):
        await desk.ticket(assignee_id=busy.id)
    await desk.ticket(assignee_id=idle.id)
    for status in ("resolved", "closed"):  # done tickets are no load
        await desk.ticket(assignee_id=idle.id, status=status)

    ticket = await desk.ticket(team_id=team.id)

    assert ticket.assignee_id == idle.id


async def test_least_loaded_spreads_a_burst_evenly(
    desk: Desk, make: Any, session_factory: Any
) -> None:
    team, members = await _team(make, session_factory, TicketAssignment.LEAST_LOADED, 3)

    assignees = [(await desk.ticket(team_id=team.id)).assignee_id for _ in range(6)]

    assert sorted(assignees.count(member.id) for member in members) == [2, 2, 2]


async def test_an_explicit_assignee_is_kept(desk: Desk, make: Any, session_factory: Any) -> None:
    team, _ = await _team(make, session_factory, TicketAssignment.ROUND_ROBIN, 2)
    outsider = await make.user()

    ticket = await desk.ticket(team_id=team.id, assignee_id=outsider.id)

    assert ticket.assignee_id == outsider.id


async def test_a_team_without_auto_assignment_leaves_tickets_unassigned(
    desk: Desk, make: Any, session_factory: Any
) -> None:
    team, _ = await _team(make, session_factory, TicketAssignment.NONE, 2)

    ticket = await desk.ticket(team_id=team.id)

    assert (ticket.team_id, ticket.assignee_id) == (team.id, None)


async def test_moving_a_ticket_to_a_team_assigns_it_and_emits_ticket_assigned(
    desk: Desk, make: Any, session_factory: Any
) -> None:
    team, members = await _team(make, session_factory, TicketAssignment.ROUND_ROBIN, 1)
    ticket = await desk.ticket()

    moved = await desk.update(ticket.id, team_id=team.id)

    assert moved.assignee_id == members[0].id
    [event] = await desk.events("ticket.assigned", ticket.id)
    assert event.payload["object"]["to"] == str(members[0].id)


async def test_concurrent_tickets_take_turns(desk: Desk, make: Any, session_factory: Any) -> None:
    team, members = await _team(make, session_factory, TicketAssignment.ROUND_ROBIN, 4)

    tickets = await asyncio.gather(*(desk.ticket(team_id=team.id) for _ in range(4)))

    assert sorted(ticket.assignee_id for ticket in tickets) == [member.id for member in members]
