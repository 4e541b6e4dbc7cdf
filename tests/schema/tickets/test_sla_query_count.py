"""A page of tickets with their SLA (policy, calendar, breaches, time remaining) and comments
costs a fixed number of SQL statements, however many tickets it holds."""

from typing import Any

from resolvers.tickets import clock
from resolvers.tickets.sla import detect_breaches
from tests.desk import Desk, berlin, staff

PAGE = """
query Page($first: Int!) {
  tickets(first: $first) {
    nodes {
      subject
      assignee { name }
      sla {
        firstResponseDue resolutionDue breached remaining paused
        policy { name calendar { name timeZone } targets { priority firstResponseMinutes } }
        breaches { kind dueAt }
      }
      comments(first: 3) { nodes { body author { name } } }
    }
  }
}
"""
# tickets, assignees, policies, calendars, targets, breaches, comments, comment authors.
EXPECTED_STATEMENTS = 8
LATER = berlin(2026, 12, 8, 12, 0)


async def _statements_for(gql: Any, count_statements: Any, first: int) -> int:
    with clock.fixed_at(LATER), count_statements() as counter:
        data = await gql(PAGE, {"first": first})
    nodes = data["tickets"]["nodes"]
    assert len(nodes) == first
    assert all(node["sla"]["policy"]["calendar"]["timeZone"] == "Europe/Berlin" for node in nodes)
    assert all(node["sla"]["breached"] for node in nodes)
    return counter.count  # type: ignore[no-any-return]


async def test_ticket_page_with_sla_costs_the_same_statements_at_any_size(
    gql: Any, session_factory: Any, make: Any, count_statements: Any
) -> None:
    desk = Desk(session_factory)
    calendar = await desk.calendar()
    targets = [{"priority": "normal", "first_response_minutes": 60, "resolution_minutes": 480}]
    await desk.policy(targets, calendar_id=calendar.id)
    agent, colleague = await make.user(role="support"), await make.user(role="support")
    for n in range(30):
        ticket = await desk.ticket(at=berlin(2026, 12, 7, 9, n), assignee_id=agent.id)
        await desk.comment(ticket.id, staff(colleague), at=berlin(2026, 12, 7, 10, 30 + n))
        await desk.comment(ticket.id, staff(agent), at=berlin(2026, 12, 7, 11, n), is_public=False)
    await detect_breaches(session_factory, at=LATER)

    for_five = await _statements_for(gql, count_statements, 5)
    for_thirty = await _statements_for(gql, count_statements, 30)

    assert for_five == for_thirty == EXPECTED_STATEMENTS
