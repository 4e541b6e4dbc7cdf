"""Service reports through GraphQL on a fixed dataset, against figures computed by hand.

The tickets are written as rows (the columns the service desk keeps), at fixed times:

| ticket | created (2026) | status | team | customer | first reply | resolved | breaches |
| --- | --- | --- | --- | --- | --- | --- | --- |
| T1 high email, Ann | 02-01 10:00:00.7 | resolved | North | Acme | +600 s (.2) | +7,200 s | - |
| T2 normal web, Ann | 02-02 09:00 | closed, reopened 1x | North | Acme | +1,800 s | +86,400 s | resolution |
| T3 urgent chat, Bob | 02-10 08:00 | resolved, reopened 2x | South | Globex | +300 s | +3,600 s | resolution |
| T4 high email, Bob | 02-27 12:00 | open | South | Globex | +1,200 s | - | first response |
| T5 low phone | 03-01 06:00 | new | North | Initech | - | - | - |
| T6 normal email, Ann | 01-15 12:00 | pending | - | Acme | +3,600 s | - | (no target) |
| T7 normal web, Ann | 02-25 12:00 | open, reopened 1x | North | Acme | - | - | (no target) |
| T8 (deleted) | 02-05 | resolved | North | Acme | +60 s | +60 s | resolution |

Targets: first response due on T1-T5, resolution due on T1-T4. CSAT: T1 5, T2 3, T3 5.
Ages are measured at 2026-03-01 12:00 UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kernel.unit_of_work import unit_of_work
from models import SlaBreach, SlaTargetKind, Ticket, TicketChannel, TicketPriority, TicketStatus
from tests.conftest import GraphQLClient
from tests.factories import gid
from tests.schema.test_permissions import partner_with
from tests.schema.test_visibility import as_user

AS_OF = "2026-03-01T12:00:00Z"
REPORT = """
query($filter: ServiceReportFilter, $groupBy: ServiceReportGroupBy, $asOf: DateTime) {
  serviceReport(filter: $filter, groupBy: $groupBy, asOf: $asOf) {
    backlog { group status age count }
    responseTimes {
      group
      firstResponse { count meanSeconds medianSeconds }
      resolution { count meanSeconds medianSeconds }
    }
    slaCompliance {
      group
      firstResponse { targets met rate }
      resolution { targets met rate }
      overall { targets met rate }
    }
    reopenRate { group resolved reopened rate }
    csat { group count average distribution }
    ticketsPerCustomer(first: 2) { name tickets customer { name } }
  }
}
"""


def _at(month: int, day: int, hour: int, microsecond: int = 0) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC).replace(microsecond=microsecond)


def _after(moment: datetime, seconds: float) -> datetime:
    return moment + timedelta(seconds=seconds)


@pytest.fixture
async def desk(make: Any, session_factory: async_sessionmaker[AsyncSession]) -> dict[str, Any]:
    north, south = await make.team(name="North"), await make.team(name="South")
    ann = await make.user(name="Ann", role="support", team_id=north.id)
    bob = await make.user(name="Bob", role="support", team_id=south.id)
    ned = await make.user(name="Ned", role="sales_rep", team_id=north.id)
    acme = await make.customer(name="Acme", owner_id=ned.id)
    globex = await make.customer(name="Globex")
    initech = await make.customer(name="Initech")
    t1, t2, t3 = _at(2, 1, 10, 700_000), _at(2, 2, 9), _at(2, 10, 8)
    t4, t5, t6, t7, t8 = _at(2, 27, 12), _at(3, 1, 6), _at(1, 15, 12), _at(2, 25, 12), _at(2, 5, 9)
    rows = {
        "T1": Ticket(
            subject="T1", created_at=t1, status=TicketStatus.RESOLVED, priority=TicketPriority.HIGH, channel=TicketChannel.EMAIL,
            team_id=north.id, assignee_id=ann.id, customer_id=acme.id,
            first_response_at=_after(t1, 599.5), resolved_at=_after(t1, 7200),
            first_response_due=_after(t1, 3600), resolution_due=_after(t1, 28800), csat_rating=5,
        ),
        "T2": Ticket(
            subject="T2", created_at=t2, status=TicketStatus.CLOSED, priority=TicketPriority.NORMAL, channel=TicketChannel.WEB,
            team_id=north.id, assignee_id=ann.id, customer_id=acme.id, reopened_count=1,
            first_response_at=_after(t2, 1800), resolved_at=_after(t2, 86400),
            closed_at=_after(t2, 90000), first_response_due=_after(t2, 3600),
            resolution_due=_after(t2, 28800), csat_rating=3,
        ),
        "T3": Ticket(
            subject="T3", created_at=t3, status=TicketStatus.RESOLVED, priority=TicketPriority.URGENT, channel=TicketChannel.CHAT,
            team_id=south.id, assignee_id=bob.id, customer_id=globex.id, reopened_count=2,
            first_response_at=_after(t3, 300), resolved_at=_after(t3, 3600),
            first_response_due=_after(t3, 900), resolution_due=_after(t3, 1800), csat_rating=5,
        ),
        "T4": Ticket(
            subject="T4", created_at=t4, status=TicketStatus.OPEN, priority=TicketPriority.HIGH, channel=TicketChannel.EMAIL,
            team_id=south.id, assignee_id=bob.id, customer_id=globex.id,
            first_response_at=_after(t4, 1200), first_response_due=_after(t4, 600),
            resolution_due=_after(t4, 5 * 86400),
        ),
        "T5": Ticket(
            subject="T5", created_at=t5, status=TicketStatus.NEW, priority=TicketPriority.LOW, channel=TicketChannel.PHONE,
            team_id=north.id, customer_id=initech.id, first_response_due=_after(t5, 8 * 3600),
        ),
        "T6": Ticket(
            subject="T6", created_at=t6, status=TicketStatus.PENDING, priority=TicketPriority.NORMAL, channel=TicketChannel.EMAIL,
            assignee_id=ann.id, customer_id=acme.id, first_response_at=_after(t6, 3600),
        ),
        "T7": Ticket(
            subject="T7", created_at=t7, status=TicketStatus.OPEN, priority=TicketPriority.NORMAL, channel=TicketChannel.WEB,
            team_id=north.id, assignee_id=ann.id, customer_id=acme.id, reopened_count=1,
        ),
        "T8": Ticket(
            subject="T8", created_at=t8, status=TicketStatus.RESOLVED, team_id=north.id,
            customer_id=acme.id, first_response_at=_after(t8, 60), resolved_at=_after(t8, 60),
            resolution_due=_after(t8, 30), deleted_at=_after(t8, 120), csat_rating=1,
        ),
    }  # fmt: skip
    async with unit_of_work(session_factory) as session:
        session.add_all(rows.values())
        await session.flush()
        session.add_all(
            [
                SlaBreach(
                    ticket_id=rows["T2"].id, kind=SlaTargetKind.RESOLUTION, due_at=_after(t2, 28800)
                ),
                SlaBreach(
                    ticket_id=rows["T3"].id, kind=SlaTargetKind.RESOLUTION, due_at=_after(t3, 1800)
                ),
                SlaBreach(
                    ticket_id=rows["T4"].id,
                    kind=SlaTargetKind.FIRST_RESPONSE,
                    due_at=_after(t4, 600),
                ),
                SlaBreach(
                    ticket_id=rows["T8"].id, kind=SlaTargetKind.RESOLUTION, due_at=_after(t8, 30)
                ),
            ]
        )
    return {"north": north, "south": south, "ann": ann, "bob": bob, "ned": ned}


async def test_report_over_all_tickets_matches_hand_computed_figures(
    gql: GraphQLClient, desk: dict[str, Any]
) -> None:
    report = (await gql(REPORT, {"asOf": AS_OF}))["serviceReport"]

    assert report["backlog"] == [
        {"group": None, "status": "NEW", "age": "UNDER_1_DAY", "count": 1},
        {"group": None, "status": "OPEN", "age": "DAYS_1_TO_3", "count": 1},
        {"group": None, "status": "OPEN", "age": "DAYS_3_TO_7", "count": 1},
        {"group": None, "status": "PENDING", "age": "OVER_30_DAYS", "count": 1},
    ]
    # First replies 300, 600, 1200, 1800, 3600 s; resolutions 3600, 7200, 86400 s.
    assert report["responseTimes"] == [
        {
            "group": None,
            "firstResponse": {"count": 5, "meanSeconds": 1500.0, "medianSeconds": 1200.0},
            "resolution": {"count": 3, "meanSeconds": 32400.0, "medianSeconds": 7200.0},
        }
    ]
    assert report["slaCompliance"] == [
        {
            "group": None,
            "firstResponse": {"targets": 5, "met": 4, "rate": 0.8},
            "resolution": {"targets": 4, "met": 2, "rate": 0.5},
            "overall": {"targets": 5, "met": 2, "rate": 0.4},
        }
    ]
    # Resolved at least once: T1, T2, T3 and the reopened T7; reopened: T2, T3, T7.
    assert report["reopenRate"] == [{"group": None, "resolved": 4, "reopened": 3, "rate": 0.75}]
    assert report["csat"] == [
        {"group": None, "count": 3, "average": 4.33, "distribution": [0, 0, 1, 0, 2]}
    ]
    assert report["ticketsPerCustomer"] == [
        {"name": "Acme", "tickets": 4, "customer": {"name": "Acme"}},
        {"name": "Globex", "tickets": 2, "customer": {"name": "Globex"}},
    ]


async def test_filters_narrow_every_figure(gql: GraphQLClient, desk: dict[str, Any]) -> None:
    variables = {
        "asOf": AS_OF,
        "filter": {"priorities": ["HIGH"], "from": "2026-02-01", "to": "2026-02-28"},
    }

    report = (await gql(REPORT, variables))["serviceReport"]

    # T1 and T4.
    assert report["backlog"] == [
        {"group": None, "status": "OPEN", "age": "DAYS_1_TO_3", "count": 1}
    ]
    assert report["responseTimes"][0]["firstResponse"] == {
        "count": 2,
        "meanSeconds": 900.0,
        "medianSeconds": 900.0,
    }
    assert report["slaCompliance"][0]["overall"] == {"targets": 2, "met": 1, "rate": 0.5}
    assert report["ticketsPerCustomer"] == [
        {"name": "Acme", "tickets": 1, "customer": {"name": "Acme"}},
        {"name": "Globex", "tickets": 1, "customer": {"name": "Globex"}},
    ]


async def test_team_assignee_and_channel_filters(gql: GraphQLClient, desk: dict[str, Any]) -> None:
    by_team = {"teamIds": [gid("Team", desk["north"])]}
    by_assignee = {"assigneeIds": [gid("User", desk["bob"])]}
    by_channel = {"channels": ["EMAIL", "PHONE"]}

    team = (await gql(REPORT, {"asOf": AS_OF, "filter": by_team}))["serviceReport"]
    assignee = (await gql(REPORT, {"asOf": AS_OF, "filter": by_assignee}))["serviceReport"]
    channel = (await gql(REPORT, {"asOf": AS_OF, "filter": by_channel}))["serviceReport"]

    # North: T1, T2, T5, T7. Bob: T3, T4. Email or phone: T1, T4, T5, T6.
    assert team["responseTimes"][0]["resolution"] == {
        "count": 2,
        "meanSeconds": 46800.0,
        "medianSeconds": 46800.0,
    }
    assert assignee["responseTimes"][0]["firstResponse"] == {
        "count": 2,
        "meanSeconds": 750.0,
        "medianSeconds": 750.0,
    }
    assert [c["name"] for c in channel["ticketsPerCustomer"]] == ["Acme", "Globex"]
    assert channel["responseTimes"][0]["firstResponse"] == {
        "count": 3,
        "meanSeconds": 1800.0,
        "medianSeconds": 1200.0,
    }


async def test_rows_per_team(gql: GraphQLClient, desk: dict[str, Any]) -> None:
    report = (await gql(REPORT, {"asOf": AS_OF, "groupBy": "TEAM"}))["serviceReport"]

    times = {row["group"]: row["firstResponse"] for row in report["responseTimes"]}
    reopen = {row["group"]: (row["resolved"], row["reopened"]) for row in report["reopenRate"]}
    north, south = gid("Team", desk["north"]), gid("Team", desk["south"])
    assert times == {
        north: {"count": 2, "meanSeconds": 1200.0, "medianSeconds": 1200.0},
        south: {"count": 2, "meanSeconds": 750.0, "medianSeconds": 750.0},
        None: {"count": 1, "meanSeconds": 3600.0, "medianSeconds": 3600.0},
    }
    assert reopen == {north: (3, 2), south: (1, 1)}


async def test_rows_per_priority(gql: GraphQLClient, desk: dict[str, Any]) -> None:
    report = (await gql(REPORT, {"asOf": AS_OF, "groupBy": "PRIORITY"}))["serviceReport"]

    csat = {row["group"]: row["average"] for row in report["csat"]}
    backlog = {(row["group"], row["status"]): row["count"] for row in report["backlog"]}
    assert csat == {"HIGH": 5.0, "NORMAL": 3.0, "URGENT": 5.0}
    assert backlog == {("LOW", "NEW"): 1, ("HIGH", "OPEN"): 1, ("NORMAL", "OPEN"): 1,
                       ("NORMAL", "PENDING"): 1}  # fmt: skip


async def test_reports_cover_only_tickets_the_viewer_sees(
    http: httpx.AsyncClient, settings: Any, desk: dict[str, Any]
) -> None:
    ned = as_user(http, settings, desk["ned"])  # a sales rep: his customers' tickets only

    report = (await ned(REPORT, {"asOf": AS_OF}))["serviceReport"]

    assert report["ticketsPerCustomer"] == [
        {"name": "Acme", "tickets": 4, "customer": {"name": "Acme"}}
    ]
    # Acme: T1, T2 and T7 resolved at least once; T2 and T7 reopened.
    assert report["reopenRate"] == [{"group": None, "resolved": 3, "reopened": 2, "rate": 2 / 3}]


@pytest.mark.parametrize(
    ("variables", "argument"),
    [
        ({"filter": {"from": "2026-03-01", "to": "2026-02-01"}}, "filter"),
        ({"filter": {"teamIds": ["bm9wZQ=="]}}, "filter"),
        ({"asOf": "2026-03-01T12:00:00"}, "asOf"),
    ],
)
async def test_unusable_arguments_are_bad_user_input(
    gql: GraphQLClient, variables: dict[str, Any], argument: str
) -> None:
    errors = await gql.errors(REPORT, variables)

    assert errors[0]["extensions"] == {"code": "BAD_USER_INPUT", "argument": argument}


async def test_a_team_id_of_another_type_is_bad_user_input(
    gql: GraphQLClient, desk: dict[str, Any]
) -> None:
    errors = await gql.errors(REPORT, {"filter": {"teamIds": [gid("User", desk["ann"])]}})

    assert errors[0]["extensions"] == {"code": "BAD_USER_INPUT", "argument": "filter"}


async def test_customer_list_size_is_checked(gql: GraphQLClient) -> None:
    errors = await gql.errors("{ serviceReport { ticketsPerCustomer(first: 0) { name } } }")

    assert errors[0]["extensions"] == {"code": "BAD_USER_INPUT", "argument": "first"}


async def test_reports_need_tickets_read(http: httpx.AsyncClient, settings: Any, make: Any) -> None:
    partner = await partner_with(make, http, settings, "knowledge:read")

    errors = await partner.errors("{ serviceReport { csat { count } } }")

    assert errors[0]["extensions"] == {"code": "FORBIDDEN", "scope": "tickets:read"}
