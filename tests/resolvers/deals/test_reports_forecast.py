"""The forecast over hand-built deals around the end of March 2026."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from resolvers.deals.reports.buckets import Period
from resolvers.deals.reports.forecast import Forecast, ForecastGroup, sales_forecast
from resolvers.deals.reports.scope import ReportFilter, Scope
from tests.conftest import ADMIN

AS_OF = date(2026, 4, 10)
ZERO = Decimal("0.00")


@pytest.fixture
async def forecast_data(make: Any) -> dict[str, Any]:
    """Ann (North) and Bob (South): two won deals either side of 1 April 00:00 UTC, three open
    deals expected in April and May, and deals the forecast leaves out."""
    north, south = await make.team(name="North"), await make.team(name="South")
    ann = await make.user(name="Ann", team_id=north.id)
    bob = await make.user(name="Bob", team_id=south.id)
    _, s = await make.sales_pipeline(default=True)
    await make.exchange_rate("USD", "0.9", date(2026, 1, 1))
    start = datetime(2026, 1, 1, tzinfo=UTC)
    last_second_of_march = datetime(2026, 3, 31, 23, 59, 59, tzinfo=UTC)
    first_second_of_april = datetime(2026, 4, 1, tzinfo=UTC)

    async def deal(stage: str, amount: int, **values: Any) -> None:
        await make.sales_deal([(s[stage], start)], amount=Decimal(amount), **values)

    await deal("Won", 1000, owner_id=ann.id, closed_at=last_second_of_march)
    await deal("Won", 2000, owner_id=ann.id, closed_at=first_second_of_april)
    # Commit 80%, 1,000 USD = 900 EUR; best case 50%; pipeline 10%.
    await deal(
        "Negotiation",
        1000,
        owner_id=bob.id,
        currency="USD",
        expected_close_date=date(2026, 4, 15),
    )
    await deal("Proposal", 3000, owner_id=ann.id, expected_close_date=date(2026, 4, 30))
    await deal("Lead", 500, owner_id=bob.id, expected_close_date=date(2026, 5, 1))
    # Not forecast: open without an expected date, lost.
    await deal("Lead", 7000, owner_id=bob.id)
    await deal("Lost", 9000, owner_id=bob.id, closed_at=first_second_of_april)
    return {"ann": ann, "bob": bob, "north": north, "south": south}


async def _forecast(
    session_factory: Any,
    period: Period,
    group_by: ForecastGroup,
    filter_: ReportFilter | None = None,
) -> Forecast:
    scope = Scope.of(filter_ or ReportFilter(), ADMIN, "EUR", AS_OF)
    async with session_factory() as session:
        return await sales_forecast(session, scope, period, group_by)


def _table(forecast: Forecast) -> list[tuple[Any, ...]]:
    return [
        (r.period, r.group_name, r.closed_won, r.commit, r.best_case, r.pipeline, r.weighted)
        for r in forecast.rows
    ]


async def test_monthly_forecast_per_owner(session_factory: Any, forecast_data: Any) -> None:
    forecast = await _forecast(session_factory, Period.MONTH, ForecastGroup.OWNER)

    assert _table(forecast) == [
        # 23:59:59 on 31 March is still March.
        ("2026-03", "Ann", Decimal("1000.00"), ZERO, ZERO, ZERO, ZERO),
        # Best case 3,000 x 50% = 1,500 weighted.
        ("2026-04", "Ann", Decimal("2000.00"), ZERO, Decimal("3000.00"), ZERO, Decimal("1500.00")),
        # Commit 1,000 USD x 0.9 = 900 EUR, x 80% = 720 weighted.
        ("2026-04", "Bob", ZERO, Decimal("900.00"), ZERO, ZERO, Decimal("720.00")),
        # Pipeline 500 x 10% = 50 weighted.
        ("2026-05", "Bob", ZERO, ZERO, ZERO, Decimal("500.00"), Decimal("50.00")),
    ]
    assert forecast.rows[0].group_id == forecast_data["ann"].id


async def test_quarterly_forecast_per_team(session_factory: Any, forecast_data: Any) -> None:
    forecast = await _forecast(session_factory, Period.QUARTER, ForecastGroup.TEAM)

    assert _table(forecast) == [
        ("2026-Q1", "North", Decimal("1000.00"), ZERO, ZERO, ZERO, ZERO),
        (
            "2026-Q2",
            "North",
            Decimal("2000.00"),
            ZERO,
            Decimal("3000.00"),
            ZERO,
            Decimal("1500.00"),
        ),
        # 900 commit + 500 pipeline; weighted 720 + 50.
        ("2026-Q2", "South", ZERO, Decimal("900.00"), ZERO, Decimal("500.00"), Decimal("770.00")),
    ]


async def test_forecast_per_pipeline_sums_every_owner(
    session_factory: Any, forecast_data: Any
) -> None:
    forecast = await _forecast(session_factory, Period.QUARTER, ForecastGroup.PIPELINE)

    q2 = forecast.rows[1]
    assert (q2.period, q2.closed_won, q2.weighted) == (
        "2026-Q2",
        Decimal("2000.00"),
        Decimal("2270.00"),
    )


async def test_forecast_period_filter_applies_to_close_dates(
    session_factory: Any, forecast_data: Any
) -> None:
    april = ReportFilter(start=date(2026, 4, 1), end=date(2026, 4, 30))

    forecast = await _forecast(session_factory, Period.MONTH, ForecastGroup.OWNER, april)

    assert [(r.period, r.group_name) for r in forecast.rows] == [
        ("2026-04", "Ann"),
        ("2026-04", "Bob"),
    ]


async def test_forecast_filters_by_owner(session_factory: Any, forecast_data: Any) -> None:
    only_bob = ReportFilter(owner_ids=[forecast_data["bob"].id])

    forecast = await _forecast(session_factory, Period.MONTH, ForecastGroup.OWNER, only_bob)

    assert {r.group_name for r in forecast.rows} == {"Bob"}


async def test_forecast_filters_by_team(session_factory: Any, forecast_data: Any) -> None:
    north = ReportFilter(team_ids=[forecast_data["north"].id])

    forecast = await _forecast(session_factory, Period.MONTH, ForecastGroup.OWNER, north)

    assert {r.group_name for r in forecast.rows} == {"Ann"}
