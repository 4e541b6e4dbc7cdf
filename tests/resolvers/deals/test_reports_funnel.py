"""The sales funnel over a hand-built history (first quarter of 2026, as of 10 April)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kernel.crud import update_entity
from kernel.principal import SYSTEM
from kernel.tables import table_of
from kernel.unit_of_work import unit_of_work
from models import DealStageChange
from resolvers.deals.pipelines import reorder_stages
from resolvers.deals.reports.funnel import Funnel, FunnelStage, sales_funnel
from resolvers.deals.reports.scope import ReportFilter, Scope
from resolvers.deals.service import DEAL_RULES
from tests.conftest import ADMIN

Q1 = ReportFilter(start=date(2026, 1, 1), end=date(2026, 3, 31))
AS_OF = date(2026, 4, 10)  # open stays end at 2026-04-11T00:00Z


def at(month: int, day: int, year: int = 2026) -> datetime:
    return datetime(year, month, day, tzinfo=UTC)


@pytest.fixture
async def funnel_data(make: Any) -> dict[str, Any]:
    """Five deals through Lead(0) > Proposal(1) > Negotiation(2) > Won(3) / Lost(4)."""
    pipeline, s = await make.sales_pipeline(default=True)
    lead, proposal, negotiation, won, lost = (
        s[name] for name in ("Lead", "Proposal", "Negotiation", "Won", "Lost")
    )
    await make.exchange_rate("USD", "0.5", date(2026, 1, 1))
    # A: won. B: waits in Proposal. C: lost. D: waits in Lead (USD). E: entered Lead in 2025,
    # then Proposal, Negotiation and back to Proposal.
    await make.sales_deal([(lead, at(1, 1)), (proposal, at(1, 11)), (won, at(1, 31))])
    await make.sales_deal([(lead, at(1, 1)), (proposal, at(1, 21))], amount=Decimal(2000))
    await make.sales_deal([(lead, at(2, 1)), (lost, at(2, 11))], amount=Decimal(500))
    await make.sales_deal([(lead, at(3, 1))], amount=Decimal(3000), currency="USD")
    await make.sales_deal(
        [
            (lead, at(12, 1, 2025)),
            (proposal, at(1, 5)),
            (negotiation, at(1, 15)),
            (proposal, at(1, 25)),
        ],
        amount=Decimal(4000),
    )
    return {"pipeline": pipeline, "stages": s}


async def _funnel(
    session_factory: async_sessionmaker[AsyncSession], filter_: ReportFilter = Q1
) -> Funnel:
    async with session_factory() as session:
        return await sales_funnel(session, Scope.of(filter_, ADMIN, "EUR", AS_OF))


def _by_name(funnel: Funnel) -> dict[str, FunnelStage]:
    return {stage.name: stage for stage in funnel.stages}


async def test_funnel_lists_the_pipeline_stages_in_position_order(
    session_factory: Any, funnel_data: Any
) -> None:
    funnel = await _funnel(session_factory)

    assert [s.name for s in funnel.stages] == ["Lead", "Proposal", "Negotiation", "Won", "Lost"]
    assert funnel.pipeline_id == funnel_data["pipeline"].id


async def test_funnel_counts_deals_entered_still_there_and_moved_on(
    session_factory: Any, funnel_data: Any
) -> None:
    stages = _by_name(await _funnel(session_factory))

    # Lead: A, B, C, D entered in Q1 (E entered in December); only D is still there.
    assert (stages["Lead"].entered, stages["Lead"].still_there, stages["Lead"].moved_on) == (
        4,
        1,
        3,
    )
    # Proposal: A, B, E (E twice, counted once); B and E are there now.
    proposal = stages["Proposal"]
    assert (proposal.entered, proposal.still_there, proposal.moved_on) == (3, 2, 1)
    negotiation = stages["Negotiation"]
    assert (negotiation.entered, negotiation.still_there, negotiation.moved_on) == (1, 0, 1)
    assert (stages["Won"].entered, stages["Won"].still_there) == (1, 1)
    assert (stages["Lost"].entered, stages["Lost"].still_there) == (1, 1)


async def test_funnel_conversion_counts_later_higher_stages_but_not_lost(
    session_factory: Any, funnel_data: Any
) -> None:
    stages = _by_name(await _funnel(session_factory))

    # Lead: A and B reached Proposal; C only reached Lost; D stayed: 2 / 4.
    assert (stages["Lead"].converted, stages["Lead"].conversion_rate) == (2, 0.5)
    # Proposal: A reached Won, E reached Negotiation after its first entry; B stayed: 2 / 3.
    assert stages["Proposal"].converted == 2
    assert stages["Proposal"].conversion_rate == pytest.approx(2 / 3)
    # Negotiation: E went back to Proposal, a lower position: 0 / 1.
    assert (stages["Negotiation"].converted, stages["Negotiation"].conversion_rate) == (0, 0.0)
    # Nothing after Won but Lost, which does not count.
    assert stages["Won"].converted == 0


async def test_funnel_averages_days_in_stage_up_to_the_next_change_or_as_of(
    session_factory: Any, funnel_data: Any
) -> None:
    stages = _by_name(await _funnel(session_factory))

    # Lead: A 10 (1 Jan > 11 Jan), B 20, C 10, D 41 (1 Mar > 11 Apr 00:00): 81 / 4.
    assert stages["Lead"].average_days == 20.25
    # Proposal, per entry: A 20 (11 > 31 Jan), B 80 (21 Jan > 11 Apr: 11 + 28 + 31 + 10),
    # E 10 (5 > 15 Jan) and 76 (25 Jan > 11 Apr: 7 + 28 + 31 + 10): 186 / 4.
    assert stages["Proposal"].average_days == 46.5
    assert stages["Negotiation"].average_days == 10.0  # E: 15 > 25 Jan
    assert stages["Won"].average_days == 70.0  # A: 31 Jan > 11 Apr: 1 + 28 + 31 + 10


async def test_funnel_values_the_deals_still_there_in_the_reporting_currency(
    session_factory: Any, funnel_data: Any
) -> None:
    funnel = await _funnel(session_factory)
    stages = _by_name(funnel)

    assert stages["Lead"].value == Decimal("1500.00")  # D: 3,000 USD x 0.5
    assert stages["Proposal"].value == Decimal("6000.00")  # B 2,000 + E 4,000
    assert stages["Negotiation"].value == Decimal("0.00")
    assert stages["Won"].value == Decimal("1000.00")
    assert funnel.missing_rates == []


async def test_funnel_without_a_period_counts_every_entry(
    session_factory: Any, funnel_data: Any
) -> None:
    stages = _by_name(await _funnel(session_factory, ReportFilter()))

    # E's December entry now counts: A, B, C, D, E; D still there.
    assert (stages["Lead"].entered, stages["Lead"].still_there) == (5, 1)
    assert stages["Lead"].converted == 3  # A, B, E


async def test_funnel_leaves_out_other_pipelines_and_deleted_deals(
    make: Any, session_factory: Any, funnel_data: Any
) -> None:
    lead = funnel_data["stages"]["Lead"]
    _, other = await make.sales_pipeline()
    await make.sales_deal([(other["Lead"], at(1, 2))])
    await make.sales_deal([(lead, at(1, 2))], deleted_at=at(1, 3))

    stages = _by_name(await _funnel(session_factory))

    assert stages["Lead"].entered == 4


async def test_funnel_over_all_time_equals_the_windows_over_the_whole_history(
    make: Any, session_factory: Any, funnel_data: Any
) -> None:
    s = funnel_data["stages"]
    lead, proposal, negotiation, won, lost = (
        s[name] for name in ("Lead", "Proposal", "Negotiation", "Won", "Lost")
    )
    _, other = await make.sales_pipeline()
    # Skips, re-entries, going back, Lost then reopened, and a deal that came from another
    # pipeline (its Negotiation there does not count as reaching this one's).
    await make.sales_deal([(lead, at(1, 3)), (negotiation, at(1, 9)), (won, at(2, 2))])
    await make.sales_deal(
        [
            (lead, at(1, 4)),
            (proposal, at(1, 8)),
            (lead, at(1, 12)),
            (proposal, at(2, 3)),
            (lost, at(2, 20)),
            (lead, at(3, 5)),
        ],
        amount=Decimal(700),
    )
    await make.sales_deal(
        [(other["Negotiation"], at(11, 2, 2025)), (lead, at(1, 6)), (proposal, at(1, 7))]
    )

    all_time = await _funnel(session_factory, ReportFilter())
    # From a start before any change, the period path's windows see the whole history.
    windows = await _funnel(session_factory, ReportFilter(start=date(2000, 1, 1)))

    assert all_time == windows
    stages = _by_name(all_time)
    # Lead: A, B, C, D, E of the fixture and the three above; D and the reopened deal are there.
    assert (stages["Lead"].entered, stages["Lead"].still_there) == (8, 2)
    # A, B, E, the skip to Negotiation, the re-entering deal, the one from the other pipeline.
    assert stages["Lead"].converted == 6
    # Proposal: A, B, E, the re-entering deal (once), the one from the other pipeline.
    assert (stages["Proposal"].entered, stages["Proposal"].converted) == (5, 2)
    assert (stages["Negotiation"].entered, stages["Negotiation"].converted) == (2, 1)


async def test_moving_a_deal_keeps_when_it_left_each_stage_its_entries_and_how_far_it_went(
    make: Any, session_factory: Any
) -> None:
    _, s = await make.sales_pipeline()
    reason = await make.lost_reason()
    customer = await make.customer()
    deal = await make.deal(
        customer_id=customer.id, pipeline_id=s["Lead"].pipeline_id, stage_id=s["Lead"].id
    )
    # Skip to Negotiation, back to Proposal, Negotiation again, then Lost.
    for name in ("Negotiation", "Proposal", "Negotiation", "Lost"):
        values: dict[str, Any] = {"stage_id": s[name].id}
        if name == "Lost":
            values["lost_reason_id"] = reason.id
        async with unit_of_work(session_factory) as session:
            await update_entity(session, SYSTEM, DEAL_RULES, deal.id, values)

    async with session_factory() as session:
        changes = table_of(DealStageChange)
        rows = (
            await session.execute(
                select(changes)
                .where(changes.c.deal_id == deal.id)
                .order_by(changes.c.changed_at, changes.c.id)
            )
        ).all()

    names = {stage.id: name for name, stage in s.items()}
    assert [names[row.to_stage_id] for row in rows] == [
        "Lead",
        "Negotiation",
        "Proposal",
        "Negotiation",
        "Lost",
    ]
    assert [row.left_at for row in rows] == [row.changed_at for row in rows[1:]] + [None]
    assert [row.entry for row in rows] == [1, 1, 1, 2, 1]
    # Negotiation (2) is the furthest non-lost stage reached from each change but Lost.
    assert [row.reached_position for row in rows] == [2, 2, 2, 2, None]


async def test_reordering_stages_rederives_how_far_deals_went(
    make: Any, session_factory: Any
) -> None:
    pipeline, s = await make.sales_pipeline()
    customer = await make.customer()
    deal = await make.deal(
        customer_id=customer.id, pipeline_id=pipeline.id, stage_id=s["Proposal"].id
    )
    # Negotiation moves to the front: Negotiation 0, Lead 1, Proposal 2, Won 3, Lost 4.
    order = ["Negotiation", "Lead", "Proposal", "Won", "Lost"]

    async with unit_of_work(session_factory) as session:
        await reorder_stages(session, SYSTEM, pipeline.id, [s[name].id for name in order])

    async with session_factory() as session:
        changes = table_of(DealStageChange)
        reached = await session.scalar(
            select(changes.c.reached_position).where(changes.c.deal_id == deal.id)
        )
    assert reached == 2  # Proposal's new position, not its old 1
