"""Win/loss of the deals closed in a period, and the pipeline velocity built on it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import StageKind
from resolvers.deals.reports.currency import CENT, Conversion, money
from resolvers.deals.reports.scope import (
    Scope,
    days_between,
    deals,
    lost_reasons,
    stages,
    start_report,
)

WON, LOST = StageKind.WON.value, StageKind.LOST.value


@dataclass(frozen=True)
class Totals:
    """Counts and converted values of the deals won and lost in the period."""

    won_count: int
    lost_count: int
    won_value: Decimal
    lost_value: Decimal
    # Won deals whose amount could be converted: what `won_value` sums.
    won_converted: int
    average_cycle_days: float | None
    missing_rates: list[str]

    @property
    def win_rate(self) -> float | None:
        closed = self.won_count + self.lost_count
        return self.won_count / closed if closed else None

    @property
    def average_won_value(self) -> Decimal | None:
        if not self.won_converted:
            return None
        return (self.won_value / self.won_converted).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class LostReasonRank:
    reason_id: uuid.UUID | None
    name: str | None
    count: int
    value: Decimal


@dataclass(frozen=True)
class WinLoss:
    currency: str
    as_of: date
    totals: Totals
    lost_reasons: list[LostReasonRank]


@dataclass(frozen=True)
class Velocity:
    """(open deals x win rate x average won value) / average cycle days: value per day."""

    currency: str
    as_of: date
    open_deals: int
    totals: Totals

    @property
    def per_day(self) -> Decimal | None:
        t = self.totals
        if t.win_rate is None or t.average_won_value is None or not t.average_cycle_days:
            return None
        # Exact counts over a float rate: win_rate = won / closed.
        numerator = self.open_deals * t.won_count * t.average_won_value
        denominator = Decimal(t.won_count + t.lost_count) * Decimal(str(t.average_cycle_days))
        return (numerator / denominator).quantize(CENT, rounding=ROUND_HALF_UP)


def _closed(scope: Scope) -> list[ColumnElement[bool]]:
    return [
        *scope.deal_conditions(),
        stages.c.kind.in_([WON, LOST]),
        deals.c.closed_at.is_not(None),
        scope.in_range(deals.c.closed_at),
    ]


def _closed_deals() -> Any:
    return deals.join(stages, stages.c.id == deals.c.stage_id)


async def closed_totals(session: AsyncSession, scope: Scope) -> Totals:
    """Won and lost counts, values and the won deals' average cycle, in one query."""
    await start_report(session)
    conversion = Conversion.to(scope.currency, scope.as_of)
    won, lost = stages.c.kind == WON, stages.c.kind == LOST
    cycle = days_between(session, deals.c.created_at, deals.c.closed_at)
    per_currency = (
        select(
            deals.c.currency,
            func.count(case((won, 1))).label("won_count"),
            func.count(case((lost, 1))).label("lost_count"),
            func.sum(case((won, deals.c.amount))).label("won_value"),
            func.sum(case((lost, deals.c.amount))).label("lost_value"),
            func.sum(case((won, cycle))).label("cycle_days"),
        )
        .select_from(_closed_deals())
        .where(*_closed(scope))
        .group_by(deals.c.currency)
        .subquery("per_currency")
    )
    c = per_currency.c
    lacking = conversion.lacks_rate(c.currency)
    statement = select(
        func.sum(c.won_count).label("won_count"),
        func.sum(c.lost_count).label("lost_count"),
        func.sum(conversion.amount(c.won_value, c.currency)).label("won_value"),
        func.sum(conversion.amount(c.lost_value, c.currency)).label("lost_value"),
        func.sum(case((lacking, 0), else_=c.won_count)).label("won_converted"),
        func.sum(c.cycle_days).label("cycle_days"),
        func.sum(case((lacking, c.won_count + c.lost_count), else_=0)).label("unconverted"),
    ).select_from(conversion.join(per_currency))
    row = (await session.execute(statement)).one()
    missing: list[str] = []
    if row.unconverted:
        missing = await conversion.missing_currencies(session, _closed(scope), _closed_deals())
    won_count = int(row.won_count or 0)
    return Totals(
        won_count=won_count,
        lost_count=int(row.lost_count or 0),
        won_value=money(row.won_value),
        lost_value=money(row.lost_value),
        won_converted=int(row.won_converted or 0),
        average_cycle_days=round(float(row.cycle_days) / won_count, 2) if won_count else None,
        missing_rates=missing,
    )


async def ranked_lost_reasons(session: AsyncSession, scope: Scope) -> list[LostReasonRank]:
    """Why deals were lost in the period: most frequent first, then by value."""
    await start_report(session)
    conversion = Conversion.to(scope.currency, scope.as_of)
    per_currency = (
        select(
            deals.c.lost_reason_id,
            deals.c.currency,
            func.count().label("deals"),
            func.sum(deals.c.amount).label("amount"),
        )
        .select_from(_closed_deals())
        .where(*_closed(scope), stages.c.kind == LOST)
        .group_by(deals.c.lost_reason_id, deals.c.currency)
        .subquery("per_currency")
    )
    c = per_currency.c
    count = func.sum(c.deals).label("deals")
    value = func.sum(conversion.amount(c.amount, c.currency)).label("value")
    statement = (
        select(c.lost_reason_id, lost_reasons.c.name, count, value)
        .select_from(
            conversion.join(per_currency).outerjoin(
                lost_reasons, lost_reasons.c.id == c.lost_reason_id
            )
        )
        .group_by(c.lost_reason_id, lost_reasons.c.name)
        .order_by(count.desc(), func.coalesce(value, 0).desc(), lost_reasons.c.name)
    )
    rows = (await session.execute(statement)).all()
    return [LostReasonRank(r.lost_reason_id, r.name, int(r.deals), money(r.value)) for r in rows]


async def win_loss(session: AsyncSession, scope: Scope) -> WinLoss:
    totals = await closed_totals(session, scope)
    reasons = await ranked_lost_reasons(session, scope)
    return WinLoss(scope.currency, scope.as_of, totals, reasons)


async def pipeline_velocity(session: AsyncSession, scope: Scope) -> Velocity:
    """Velocity from the deals open now and those closed in the period."""
    open_count = (
        select(func.count())
        .select_from(deals.join(stages, stages.c.id == deals.c.stage_id))
        .where(*scope.deal_conditions(), stages.c.kind == StageKind.OPEN.value)
    )
    await start_report(session)
    open_deals = int((await session.execute(open_count)).scalar_one())
    totals = await closed_totals(session, scope)
    return Velocity(scope.currency, scope.as_of, open_deals, totals)
