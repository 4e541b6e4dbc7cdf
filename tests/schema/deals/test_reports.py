"""The sales reports through GraphQL: figures, visibility, permissions and arguments."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest

from tests.conftest import GraphQLClient
from tests.factories import gid
from tests.schema.test_visibility import as_user

REPORTS = """
query($filter: SalesReportFilter, $asOf: Date) {
  salesFunnel(filter: $filter, asOf: $asOf) {
    currency asOf missingRates pipeline { name }
    stages { name stage { name } entered stillThere movedOn converted conversionRate
             averageDaysInStage value }
  }
  salesForecast(period: QUARTER, groupBy: OWNER, filter: $filter, asOf: $asOf) {
    rows { period groupId groupName closedWon commit bestCase pipeline weighted }
    missingRates
  }
  winLoss(filter: $filter, asOf: $asOf) {
    wonCount lostCount winRate wonValue lostValue averageSalesCycleDays
    lostReasons { name count value }
    missingRates
  }
  pipelineVelocity(filter: $filter, asOf: $asOf) {
    openDeals winRate averageWonValue averageSalesCycleDays valuePerDay missingRates
  }
}
"""
JAN_1, JAN_31 = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 31, tzinfo=UTC)


@pytest.fixture
async def teams(make: Any) -> dict[str, Any]:
    """North: Ned won 1,000 EUR in 30 days and has 500 EUR open in Proposal. South: Sam lost
    2,000 USD (rate 0.5) for Price."""
    north, south = await make.team(name="North"), await make.team(name="South")
    ned = await make.user(name="Ned", role="sales_rep", team_id=north.id)
    sam = await make.user(name="Sam", role="sales_rep", team_id=south.id)
    sue = await make.user(name="Sue", role="support")
    pipeline, s = await make.sales_pipeline(default=True, name="New business")
    price = await make.lost_reason(name="Price")
    await make.exchange_rate("USD", "0.5", date(2026, 1, 1))
    await make.sales_deal(
        [(s["Lead"], JAN_1), (s["Won"], JAN_31)],
        owner_id=ned.id,
        closed_at=JAN_31,
        amount=Decimal(1000),
    )
    await make.sales_deal(
        [(s["Proposal"], JAN_1)],
        owner_id=ned.id,
        amount=Decimal(500),
        expected_close_date=date(2026, 2, 15),
    )
    await make.sales_deal(
        [(s["Lead"], JAN_1), (s["Lost"], JAN_31)],
        owner_id=sam.id,
        closed_at=JAN_31,
        amount=Decimal(2000),
        currency="USD",
        lost_reason_id=price.id,
    )
    return {"ned": ned, "sam": sam, "sue": sue, "north": north, "pipeline": pipeline}


Q1 = {"from": "2026-01-01", "to": "2026-03-31"}
VARIABLES: dict[str, Any] = {"filter": Q1, "asOf": "2026-04-10"}


async def test_reports_answer_with_hand_computed_figures(
    gql: GraphQLClient, teams: dict[str, Any]
) -> None:
    data = await gql(REPORTS, VARIABLES)

    funnel = data["salesFunnel"]
    assert (funnel["currency"], funnel["asOf"], funnel["missingRates"]) == ("EUR", "2026-04-10", [])
    assert funnel["pipeline"] == {"name": "New business"}
    lead = funnel["stages"][0]
    # Ned's won deal and Sam's lost deal entered Lead; Ned's reached Won (converted), Sam's Lost.
    assert lead["stage"] == {"name": "Lead"}
    assert (lead["entered"], lead["stillThere"], lead["movedOn"], lead["converted"]) == (2, 0, 2, 1)
    assert (lead["conversionRate"], lead["averageDaysInStage"]) == (0.5, 30.0)
    proposal = funnel["stages"][1]
    # 1 Jan to the end of 10 April: 31 + 28 + 31 + 10 days.
    assert (proposal["averageDaysInStage"], proposal["value"]) == (100.0, "500.00")
    assert data["salesForecast"]["rows"] == [
        {
            "period": "2026-Q1",
            "groupId": gid("User", teams["ned"]),
            "groupName": "Ned",
            "closedWon": "1000.00",
            "commit": "0.00",
            "bestCase": "500.00",
            "pipeline": "0.00",
            "weighted": "250.00",  # 500 x 50%
        }
    ]
    assert data["winLoss"] == {
        "wonCount": 1,
        "lostCount": 1,
        "winRate": 0.5,
        "wonValue": "1000.00",
        "lostValue": "1000.00",  # 2,000 USD x 0.5
        "averageSalesCycleDays": 30.0,
        "lostReasons": [{"name": "Price", "count": 1, "value": "1000.00"}],
        "missingRates": [],
    }
    # 1 open x 0.5 x 1,000 / 30 days = 16.67 a day.
    assert data["pipelineVelocity"] == {
        "openDeals": 1,
        "winRate": 0.5,
        "averageWonValue": "1000.00",
        "averageSalesCycleDays": 30.0,
        "valuePerDay": "16.67",
        "missingRates": [],
    }


async def test_sales_rep_reports_cover_only_their_teams_deals(
    http: httpx.AsyncClient, settings: Any, teams: dict[str, Any]
) -> None:
    data = await as_user(http, settings, teams["sam"])(REPORTS, VARIABLES)

    assert data["salesFunnel"]["stages"][0]["entered"] == 1  # Sam's deal only
    assert data["salesForecast"]["rows"] == []  # Ned's won and open deals are not visible
    win_loss = data["winLoss"]
    assert (win_loss["wonCount"], win_loss["lostCount"], win_loss["winRate"]) == (0, 1, 0.0)
    assert data["pipelineVelocity"]["openDeals"] == 0


async def test_reports_filter_by_team(gql: GraphQLClient, teams: dict[str, Any]) -> None:
    north = {**Q1, "teamIds": [gid("Team", teams["north"])]}

    data = await gql(REPORTS, {**VARIABLES, "filter": north})

    assert (data["winLoss"]["wonCount"], data["winLoss"]["lostCount"]) == (1, 0)


async def test_missing_rates_are_listed_and_left_out_of_sums(
    gql: GraphQLClient, teams: dict[str, Any]
) -> None:
    # On 31 December 2025 there is no USD rate yet.
    data = await gql(REPORTS, {**VARIABLES, "asOf": "2025-12-31"})

    assert data["winLoss"]["lostCount"] == 1
    assert data["winLoss"]["lostValue"] == "0.00"
    assert data["winLoss"]["missingRates"] == ["USD"]
    assert data["salesFunnel"]["missingRates"] == ["USD"]  # Sam's deal is still in Lost


async def test_reports_require_the_deals_read_scope(
    http: httpx.AsyncClient, settings: Any, teams: dict[str, Any]
) -> None:
    errors = await as_user(http, settings, teams["sue"]).errors("{ winLoss { wonCount } }")

    assert errors[0]["extensions"]["code"] == "FORBIDDEN"


async def test_report_filter_with_a_wrong_id_is_bad_input(
    gql: GraphQLClient, teams: dict[str, Any]
) -> None:
    wrong = {"pipelineId": gid("User", teams["ned"])}

    errors = await gql.errors(
        "query($f: SalesReportFilter) { winLoss(filter: $f) { wonCount } }", {"f": wrong}
    )

    assert errors[0]["extensions"] == {"code": "BAD_USER_INPUT", "argument": "filter"}


async def test_report_period_ending_before_it_starts_is_bad_input(
    gql: GraphQLClient, teams: dict[str, Any]
) -> None:
    errors = await gql.errors(
        '{ winLoss(filter: {from: "2026-02-01", to: "2026-01-31"}) { wonCount } }'
    )

    assert errors[0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_each_report_runs_a_fixed_number_of_statements(
    gql: GraphQLClient, make: Any, teams: dict[str, Any], count_statements: Any
) -> None:
    with count_statements() as before:
        await gql(REPORTS, VARIABLES)
    _, s = await make.sales_pipeline()
    for _ in range(5):
        await make.sales_deal([(s["Lead"], JAN_1)], owner_id=teams["ned"].id)

    with count_statements() as after:
        await gql(REPORTS, VARIABLES)

    # Funnel: default pipeline, report, stage loader, pipeline loader; forecast 1; win/loss 2;
    # velocity 2.
    assert before.count == after.count == 9
