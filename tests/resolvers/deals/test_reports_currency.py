"""Conversion to the reporting currency: the latest rate on or before the as-of date."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from resolvers.deals.reports.scope import ReportFilter, Scope
from resolvers.deals.reports.win_loss import Totals, closed_totals
from tests.conftest import ADMIN

CLOSED = datetime(2026, 2, 1, tzinfo=UTC)


@pytest.fixture
async def won(make: Any) -> Any:
    """Three won deals: 100 EUR, 100 USD and 100 GBP; USD rates in January, March and May."""
    _, s = await make.sales_pipeline(default=True)
    for currency in ("EUR", "USD", "GBP"):
        await make.sales_deal(
            [(s["Won"], CLOSED)], amount=Decimal(100), currency=currency, closed_at=CLOSED
        )
    await make.exchange_rate("USD", "0.8", date(2026, 1, 1))
    await make.exchange_rate("USD", "0.5", date(2026, 3, 1))
    await make.exchange_rate("USD", "0.9", date(2026, 5, 1))
    # Rates into another currency are not used.
    await make.exchange_rate("GBP", "1.3", date(2026, 1, 1), to_currency="USD")


async def _totals(session_factory: Any, as_of: date, currency: str = "EUR") -> Totals:
    async with session_factory() as session:
        return await closed_totals(session, Scope.of(ReportFilter(), ADMIN, currency, as_of))


async def test_uses_the_latest_rate_on_or_before_as_of(session_factory: Any, won: Any) -> None:
    # EUR 100 + USD 100 x 0.5 (the rate of 1 March; May's is later).
    assert (await _totals(session_factory, date(2026, 4, 10))).won_value == Decimal("150.00")
    # On 1 May itself: x 0.9.
    assert (await _totals(session_factory, date(2026, 5, 1))).won_value == Decimal("190.00")
    # Before March: x 0.8.
    assert (await _totals(session_factory, date(2026, 2, 28))).won_value == Decimal("180.00")


async def test_deals_without_a_rate_are_counted_but_not_summed(
    session_factory: Any, won: Any
) -> None:
    totals = await _totals(session_factory, date(2026, 4, 10))

    assert totals.won_count == 3
    assert totals.won_converted == 2  # GBP has no rate into EUR
    assert totals.missing_rates == ["GBP"]
    assert totals.average_won_value == Decimal("75.00")  # 150 / 2 converted deals


async def test_no_rate_before_the_first_one(session_factory: Any, won: Any) -> None:
    totals = await _totals(session_factory, date(2025, 12, 31))

    assert totals.won_value == Decimal("100.00")  # EUR only
    assert totals.missing_rates == ["GBP", "USD"]


async def test_amounts_in_the_reporting_currency_need_no_rate(
    session_factory: Any, won: Any
) -> None:
    totals = await _totals(session_factory, date(2026, 4, 10), currency="USD")

    # USD 100 as it is, GBP 100 x 1.3; no EUR -> USD rate.
    assert totals.won_value == Decimal("230.00")
    assert totals.missing_rates == ["EUR"]
