"""Issue 8's acceptance, through GraphQL alone: a support agent works a ticket from creation to
closure, with SLA timers that are right in business hours (Berlin, across Christmas), finds the
answer in the knowledge base, and a manager reads the service report."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx

from app.http.auth import issue_token
from app.settings import Settings
from kernel.principal import Principal, PrincipalKind
from resolvers.tickets import clock
from tests.conftest import GraphQLClient
from tests.desk import berlin
from tests.factories import gid

TICKET = """
query($id: ID!) {
  node(id: $id) {
    ... on Ticket {
      status assignee { name } firstResponseAt resolvedAt closedAt csatRating reopenedCount
      sla { firstResponseDue resolutionDue breached remaining paused policy { name } }
    }
  }
}
"""
UPDATE = """
mutation($id: ID!, $status: TicketStatus!) {
  updateTicket(id: $id, input: {status: $status}) { ticket { status } errors { code field } }
}
"""


def _iso(instant: datetime) -> str:
    """How the API shows an instant: ISO 8601 in UTC."""
    return instant.astimezone(UTC).isoformat()


async def test_support_agent_works_a_ticket_from_creation_to_closure(
    http: httpx.AsyncClient, gql: GraphQLClient, settings: Settings, make: Any
) -> None:
    # A manager sets up the desk: office hours, a default policy, a round-robin team.
    calendar = await gql(
        """mutation { createBusinessCalendar(input: {name: "Berlin", timeZone: "Europe/Berlin",
             holidays: ["2026-12-25"], workingHours: [
               {weekday: 0, start: "09:00", end: "17:00"}, {weekday: 1, start: "09:00", end: "17:00"},
               {weekday: 2, start: "09:00", end: "17:00"}, {weekday: 3, start: "09:00", end: "17:00"},
               {weekday: 4, start: "09:00", end: "17:00"}]}) { businessCalendar { id } errors { code } } }"""
    )
    calendar_id = calendar["createBusinessCalendar"]["businessCalendar"]["id"]
    await gql(
        """mutation($c: ID!) { createSlaPolicy(input: {name: "Standard", calendarId: $c, targets: [
             {priority: HIGH, firstResponseMinutes: 120, resolutionMinutes: 960}]}) { errors { code } } }""",
        {"c": calendar_id},
    )
    article = await gql(
        """mutation { createKbArticle(input: {title: "Restart the VPN gateway", category: "Network",
             body: "When the VPN is down for everyone, restart the gateway from the admin console."}) {
             kbArticle { id version } errors { code } } }"""
    )
    article_id = article["createKbArticle"]["kbArticle"]["id"]
    await gql(
        "mutation($a: ID!) { publishKbArticle(id: $a) { errors { code } } }", {"a": article_id}
    )
    team = await make.team(name="Support DE")
    agent = await make.user(name="Ada Agent", role="support", team_id=team.id)
    await gql(
        "mutation($t: ID!) { setTeamTicketAssignment(teamId: $t, mode: ROUND_ROBIN) { errors { code } } }",
        {"t": gid("Team", team)},
    )
    desk = GraphQLClient(
        http,
        issue_token(
            settings,
            Principal(
                subject=agent.email, kind=PrincipalKind.USER, role="support", user_id=agent.id
            ),
        ),
    )

    # Christmas Eve, 16:00: a customer writes in; the ticket goes to the team and on to Ada.
    with clock.fixed_at(berlin(2026, 12, 24, 16, 0)):
        created = await desk(
            """mutation($t: ID!) { createTicket(input: {subject: "VPN down", priority: HIGH, channel: EMAIL, teamId: $t}) {
                 ticket { id status } errors { code field } } }""",
            {"t": gid("Team", team)},
        )
    ticket = created["createTicket"]["ticket"]["id"]
    with clock.fixed_at(berlin(2026, 12, 24, 16, 30)):
        opened = (await desk(TICKET, {"id": ticket}))["node"]
    assert opened["assignee"] == {"name": "Ada Agent"}
    assert opened["sla"]["policy"] == {"name": "Standard"}
    # 2 working hours: 16-17 on Thursday; Friday is a holiday; Monday 9-10.
    assert opened["sla"]["firstResponseDue"] == _iso(berlin(2026, 12, 28, 10, 0))
    assert opened["sla"]["resolutionDue"] == _iso(berlin(2026, 12, 29, 16, 0))
    assert opened["sla"]["remaining"] == 90 * 60  # 16:30 to 17:00, then Monday 9:00 to 10:00

    # The knowledge base suggests the gateway article for the ticket, and a search finds it too.
    found = await desk(
        """query($t: ID!) {
             suggestedKbArticles(ticketId: $t) { node { id } }
             searchKbArticles(query: "vpn gateway") { edges { node { id title } snippet } } }""",
        {"t": ticket},
    )
    assert [edge["node"]["id"] for edge in found["suggestedKbArticles"]] == [article_id]
    hits = found["searchKbArticles"]["edges"]
    assert [hit["node"]["title"] for hit in hits] == ["Restart the VPN gateway"]
    assert "**gateway**" in hits[0]["snippet"]
    linked = await desk(
        """mutation($a: ID!, $t: ID!) { linkKbArticleToTicket(articleId: $a, ticketId: $t) {
             errors { code } } }""",
        {"a": article_id, "t": ticket},
    )
    assert linked["linkKbArticleToTicket"]["errors"] == []

    # Monday 9:15: Ada answers publicly; that is the first response, in time, and opens it.
    with clock.fixed_at(berlin(2026, 12, 28, 9, 15)):
        await desk(
            """mutation($t: ID!) { createTicketComment(input: {ticketId: $t, body: "Restarting the gateway", isPublic: true}) {
                 errors { code } } }""",
            {"t": ticket},
        )
        answered = (await desk(TICKET, {"id": ticket}))["node"]
    assert answered["status"] == "OPEN"
    assert answered["firstResponseAt"] == _iso(berlin(2026, 12, 28, 9, 15))
    assert answered["sla"]["remaining"] == (7 * 60 + 45 + 7 * 60) * 60  # to Tuesday 16:00

    # Waiting on the customer from 10:00 to 12:00 stops the clock for two working hours.
    with clock.fixed_at(berlin(2026, 12, 28, 10, 0)):
        await desk(UPDATE, {"id": ticket, "status": "PENDING"})
    with clock.fixed_at(berlin(2026, 12, 28, 11, 0)):
        waiting = (await desk(TICKET, {"id": ticket}))["node"]
    assert waiting["sla"]["paused"] is True
    assert waiting["sla"]["remaining"] == (7 + 7) * 3600  # as it stood at 10:00
    with clock.fixed_at(berlin(2026, 12, 28, 12, 0)):
        await desk(UPDATE, {"id": ticket, "status": "OPEN"})
        resumed = (await desk(TICKET, {"id": ticket}))["node"]
    assert resumed["sla"]["resolutionDue"] == _iso(berlin(2026, 12, 30, 10, 0))  # Tue 16:00 + 2 h

    # Resolved on Tuesday, rated by the customer, closed: no breach on the way.
    with clock.fixed_at(berlin(2026, 12, 29, 15, 0)):
        await desk(UPDATE, {"id": ticket, "status": "RESOLVED"})
        rated = await desk(
            """mutation($t: ID!) { rateTicket(id: $t, rating: 5, comment: "Back online") {
                 ticket { csatRating csatComment } errors { code } } }""",
            {"t": ticket},
        )
    with clock.fixed_at(berlin(2026, 12, 31, 9, 0)):
        await desk(UPDATE, {"id": ticket, "status": "CLOSED"})
        reopen = await desk(UPDATE, {"id": ticket, "status": "OPEN"})
        closed = (await desk(TICKET, {"id": ticket}))["node"]

    assert rated["rateTicket"] == {
        "ticket": {"csatRating": 5, "csatComment": "Back online"},
        "errors": [],
    }
    assert reopen["updateTicket"]["errors"] == [
        {"code": "INVALID_STATE", "field": ["input", "status"]}
    ]
    assert closed["status"] == "CLOSED"
    assert closed["resolvedAt"] == _iso(berlin(2026, 12, 29, 15, 0))
    assert closed["closedAt"] == _iso(berlin(2026, 12, 31, 9, 0))
    assert closed["sla"]["breached"] is False
    assert closed["sla"]["remaining"] is None

    # The manager's service report for the team: one ticket, answered and resolved in time.
    report = await gql(
        """query($t: ID!) { serviceReport(filter: {teamIds: [$t]}) {
             responseTimes { firstResponse { count meanSeconds } resolution { count meanSeconds } }
             slaCompliance { overall { targets met rate } }
             reopenRate { resolved reopened }
             csat { count average distribution } } }""",
        {"t": gid("Team", team)},
    )
    figures = report["serviceReport"]
    first_response = berlin(2026, 12, 28, 9, 15) - berlin(2026, 12, 24, 16, 0)
    resolution = berlin(2026, 12, 29, 15, 0) - berlin(2026, 12, 24, 16, 0)
    assert figures["responseTimes"] == [
        {
            "firstResponse": {"count": 1, "meanSeconds": first_response.total_seconds()},
            "resolution": {"count": 1, "meanSeconds": resolution.total_seconds()},
        }
    ]
    assert figures["slaCompliance"] == [{"overall": {"targets": 1, "met": 1, "rate": 1.0}}]
    assert figures["reopenRate"] == [{"resolved": 1, "reopened": 0}]
    assert figures["csat"] == [{"count": 1, "average": 5.0, "distribution": [0, 0, 0, 0, 1]}]
