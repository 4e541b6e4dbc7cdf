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
from resolvers.reports.currency import CENT, Conversion, money
from resolvers.reports.scope import Scope, days_between, deals, lost_reasons, stages

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


def _from(conversion: Conversion) -> Any:
    return deals.join(stages, stages.c.id == deals.c.stage_id).outerjoin(
        conversion.rates, conversion.join_condition()
    )


async def closed_totals(session: AsyncSession, scope: Scope) -> Totals:
    """Won and lost counts, values and the won deals' average cycle, in one query."""
    conversion = Conversion.to(scope.currency, scope.as_of)
    won, lost = stages.c.kind == WON, stages.c.kind == LOST
    value = conversion.amount()
    cycle = days_between(session, deals.c.created_at, deals.c.closed_at)
    statement = (
        select(
            func.count(case((won, 1))).label("won_count"),
            func.count(case((lost, 1))).label("lost_count"),
            func.sum(case((won, value))).label("won_value"),
            func.sum(case((lost, value))).label("lost_value"),
            func.count(case((won, value))).label("won_converted"),
            func.avg(case((won, cycle))).label("cycle"),
            conversion.unconverted_count().label("unconverted"),
        )
        .select_from(_from(conversion))
        .where(*_closed(scope))
    )
    row = (await session.execute(statement)).one()
    missing: list[str] = []
    if row.unconverted:
        missing = await conversion.missing_currencies(
            session, _closed(scope), deals.join(stages, stages.c.id == deals.c.stage_id)
        )
    return Totals(
        won_count=row.won_count,
        lost_count=row.lost_count,
        won_value=money(row.won_value),
        lost_value=money(row.lost_value),
        won_converted=row.won_converted,
        average_cycle_days=None if row.cycle is None else round(float(row.cycle), 2),
        missing_rates=missing,
    )


async def ranked_lost_reasons(session: AsyncSession, scope: Scope) -> list[LostReasonRank]:
    """Why deals were lost in the period: most frequent first, then by value."""
    conversion = Conversion.to(scope.currency, scope.as_of)
    count, value = func.count().label("deals"), func.sum(conversion.amount()).label("value")
    statement = (
        select(deals.c.lost_reason_id, lost_reasons.c.name, count, value)
        .select_from(
            _from(conversion).outerjoin(lost_reasons, lost_reasons.c.id == deals.c.lost_reason_id)
        )
        .where(*_closed(scope), stages.c.kind == LOST)
        .group_by(deals.c.lost_reason_id, lost_reasons.c.name)
        .order_by(count.desc(), func.coalesce(value, 0).desc(), lost_reasons.c.name)
    )
    rows = (await session.execute(statement)).all()
    return [LostReasonRank(r.lost_reason_id, r.name, r.deals, money(r.value)) for r in rows]


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
    open_deals = int((await session.execute(open_count)).scalar_one())
    totals = await closed_totals(session, scope)
    return Velocity(scope.currency, scope.as_of, open_deals, totals)
