"""Win/loss and pipeline velocity over the deals closed in the first quarter of 2026."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from resolvers.deals.reports.scope import ReportFilter, Scope
from resolvers.deals.reports.win_loss import WinLoss, pipeline_velocity, win_loss
from tests.conftest import ADMIN

Q1 = ReportFilter(start=date(2026, 1, 1), end=date(2026, 3, 31))
AS_OF = date(2026, 4, 10)


def at(month: int, day: int, year: int = 2026) -> datetime:
    return datetime(year, month, day, tzinfo=UTC)


@pytest.fixture
async def closed_deals(make: Any) -> None:
    """Two won, four lost deals closed in Q1; one won in April; three open deals."""
    _, s = await make.sales_pipeline(default=True)
    price, timing = await make.lost_reason(name="Price"), await make.lost_reason(name="Timing")
    await make.exchange_rate("USD", "0.5", date(2026, 1, 1))

    async def closed(stage: str, created: datetime, closed_at: datetime, **values: Any) -> None:
        history = [(s["Lead"], created), (s[stage], closed_at)]
        await make.sales_deal(history, closed_at=closed_at, **values)

    # Won: 30 days, 1,000 EUR; 60 days, 2,000 USD = 1,000 EUR.
    await closed("Won", at(1, 1), at(1, 31), amount=Decimal(1000))
    await closed("Won", at(12, 22, 2025), at(2, 20), amount=Decimal(2000), currency="USD")
    await closed("Lost", at(1, 5), at(2, 1), amount=Decimal(500), lost_reason_id=price.id)
    await closed("Lost", at(1, 5), at(3, 1), amount=Decimal(700), lost_reason_id=price.id)
    await closed("Lost", at(1, 5), at(3, 2), amount=Decimal(3000), lost_reason_id=timing.id)
    await closed("Lost", at(1, 5), at(3, 3), amount=Decimal(100))
    await closed("Won", at(3, 1), at(4, 2), amount=Decimal(99999))  # closed after Q1
    for _ in range(3):
        await make.sales_deal([(s["Proposal"], at(3, 1))])


async def _win_loss(session_factory: Any, filter_: ReportFilter = Q1) -> WinLoss:
    async with session_factory() as session:
        return await win_loss(session, Scope.of(filter_, ADMIN, "EUR", AS_OF))


async def test_win_rate_counts_and_values(session_factory: Any, closed_deals: None) -> None:
    totals = (await _win_loss(session_factory)).totals

    assert (totals.won_count, totals.lost_count) == (2, 4)
    assert totals.win_rate == pytest.approx(1 / 3)  # 2 / (2 + 4)
    assert totals.won_value == Decimal("2000.00")  # 1,000 + 2,000 USD x 0.5
    assert totals.lost_value == Decimal("4300.00")  # 500 + 700 + 3,000 + 100


async def test_average_sales_cycle_of_won_deals(session_factory: Any, closed_deals: None) -> None:
    totals = (await _win_loss(session_factory)).totals

    assert totals.average_cycle_days == 45.0  # (30 + 60) / 2


async def test_lost_reasons_ranked_by_count_then_value(
    session_factory: Any, closed_deals: None
) -> None:
    reasons = (await _win_loss(session_factory)).lost_reasons

    assert [(r.name, r.count, r.value) for r in reasons] == [
        ("Price", 2, Decimal("1200.00")),  # 500 + 700
        ("Timing", 1, Decimal("3000.00")),
        (None, 1, Decimal("100.00")),  # lost without a reason
    ]


async def test_win_loss_without_closed_deals_has_no_rate(
    session_factory: Any, closed_deals: None
) -> None:
    totals = (await _win_loss(session_factory, ReportFilter(start=date(2027, 1, 1)))).totals

    assert (totals.won_count, totals.lost_count, totals.win_rate) == (0, 0, None)
    assert totals.average_cycle_days is None


async def test_pipeline_velocity_and_its_factors(session_factory: Any, closed_deals: None) -> None:
    async with session_factory() as session:
        velocity = await pipeline_velocity(session, Scope.of(Q1, ADMIN, "EUR", AS_OF))

    assert velocity.open_deals == 3
    assert velocity.totals.win_rate == pytest.approx(1 / 3)
    assert velocity.totals.average_won_value == Decimal("1000.00")  # 2,000 / 2
    assert velocity.totals.average_cycle_days == 45.0
    # 3 x 1/3 x 1,000 / 45 = 22.222...
    assert velocity.per_day == Decimal("22.22")
