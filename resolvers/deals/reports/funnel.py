"""The sales funnel: per stage of a pipeline, what entered it in a period and what became of it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, Subquery, and_, case, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import StageKind
from resolvers.deals.reports.currency import Conversion, money
from resolvers.deals.reports.scope import (
    Scope,
    day_start,
    days_between,
    deals,
    pipelines,
    stage_changes,
    stages,
    start_report,
)


@dataclass(frozen=True)
class FunnelStage:
    stage_id: uuid.UUID
    name: str
    position: int
    kind: str
    retired: bool
    entered: int
    still_there: int
    converted: int
    average_days: float | None
    value: Decimal

    @property
    def moved_on(self) -> int:
        return self.entered - self.still_there

    @property
    def conversion_rate(self) -> float | None:
        return self.converted / self.entered if self.entered else None


@dataclass(frozen=True)
class Funnel:
    pipeline_id: uuid.UUID | None
    currency: str
    as_of: date
    stages: list[FunnelStage]
    missing_rates: list[str]


async def sales_funnel(session: AsyncSession, scope: Scope) -> Funnel:
    """The funnel of the filter's pipeline (or the default one) in one query (and one more
    listing the currencies without a rate, when some deals have none)."""
    pipeline_id = scope.filter.pipeline_id or await _default_pipeline(session)
    if pipeline_id is None:
        return Funnel(None, scope.currency, scope.as_of, [], [])
    await start_report(session)
    conversion = Conversion.to(scope.currency, scope.as_of)
    rows = (await session.execute(_statement(session, scope, conversion, pipeline_id))).all()
    missing: list[str] = []
    if any(row.unconverted for row in rows):
        missing = await conversion.missing_currencies(
            session, [*scope.deal_conditions(), *_still_there(scope, pipeline_id)]
        )
    return Funnel(pipeline_id, scope.currency, scope.as_of, [_stage(row) for row in rows], missing)


async def _default_pipeline(session: AsyncSession) -> uuid.UUID | None:
    statement = (
        select(pipelines.c.id).where(pipelines.c.is_default.is_(True)).order_by(pipelines.c.name)
    )
    return await session.scalar(statement.limit(1))


def _stage(row: Any) -> FunnelStage:
    return FunnelStage(
        stage_id=row.id,
        name=row.name,
        position=row.position,
        kind=row.kind,
        retired=row.retired_at is not None,
        entered=int(row.entered or 0),
        still_there=int(row.still_there or 0),
        converted=int(row.converted or 0),
        average_days=None if not row.entries else round(float(row.days) / int(row.entries), 2),
        value=money(row.value),
    )


def _history(scope: Scope, pipeline_id: uuid.UUID) -> Subquery:
    """The stage changes of the deals in scope, each with: when the deal left that stage, the
    highest position of a later non-lost stage of this pipeline it reached, whether it is the
    deal's first entry into that stage (`nth` = 1), and the deal's current stage and amount.

    Over all time these are the columns each change keeps (`derive_stage_history`); from a
    period start on they are computed here, with windows that start at the period start."""
    if scope.filter.start is None:
        return _stored_history(scope, pipeline_id)
    changes = stage_changes
    # One window for both (LEAD ignores the frame), so PostgreSQL computes them in one pass;
    # the current row in the frame does not change whether a later position is higher.
    order = (changes.c.changed_at, changes.c.id)  # the order of `derive_stage_history`
    window: dict[str, Any] = {
        "partition_by": changes.c.deal_id,
        "order_by": order,
        "rows": (0, None),
    }
    forward = case(
        (
            and_(stages.c.pipeline_id == pipeline_id, stages.c.kind != StageKind.LOST.value),
            stages.c.position,
        )
    )
    statement = (
        select(
            changes.c.to_stage_id,
            changes.c.changed_at,
            stages.c.position,
            deals.c.stage_id.label("current_stage_id"),
            deals.c.currency,
            deals.c.amount,
            func.lead(changes.c.changed_at).over(**window).label("left_at"),
            func.max(forward).over(**window).label("later_position"),
            func.row_number()
            .over(
                partition_by=(changes.c.deal_id, changes.c.to_stage_id),
                order_by=order,
            )
            .label("nth"),
        )
        .select_from(
            changes.join(stages, stages.c.id == changes.c.to_stage_id).join(
                deals, deals.c.id == changes.c.deal_id
            )
        )
        .where(*scope.deal_conditions(), deals.c.pipeline_id == pipeline_id)
    )
    # The windows look forward only (and `nth` counts from the period start): changes before
    # the period change nothing.
    statement = statement.where(changes.c.changed_at >= day_start(scope.filter.start))
    return statement.subquery("history")


def _stored_history(scope: Scope, pipeline_id: uuid.UUID) -> Subquery:
    """`_history` over all time, from the columns each change keeps: no window, no sort; only
    changes into this pipeline's stages (the funnel shows no others)."""
    changes = stage_changes
    statement = (
        select(
            changes.c.to_stage_id,
            changes.c.changed_at,
            stages.c.position,
            deals.c.stage_id.label("current_stage_id"),
            deals.c.currency,
            deals.c.amount,
            changes.c.left_at,
            changes.c.reached_position.label("later_position"),
            changes.c.entry.label("nth"),
        )
        .select_from(
            changes.join(stages, stages.c.id == changes.c.to_stage_id).join(
                deals, deals.c.id == changes.c.deal_id
            )
        )
        .where(
            *scope.deal_conditions(),
            deals.c.pipeline_id == pipeline_id,
            stages.c.pipeline_id == pipeline_id,
        )
    )
    return statement.subquery("history")


def _statement(
    session: AsyncSession, scope: Scope, conversion: Conversion, pipeline_id: uuid.UUID
) -> Select[Any]:
    h = _history(scope, pipeline_id).c
    first = h.nth == 1  # counts each deal once per stage
    still = and_(first, h.current_stage_id == h.to_stage_id)
    left_at = func.coalesce(h.left_at, scope.now_literal())
    per_currency = (
        select(
            h.to_stage_id,
            h.currency,
            func.count(case((first, 1))).label("entered"),
            func.count(case((still, 1))).label("still_there"),
            func.count(case((and_(first, h.later_position > h.position), 1))).label("converted"),
            func.count().label("entries"),
            func.sum(days_between(session, h.changed_at, left_at)).label("days"),
            func.sum(case((still, h.amount))).label("amount"),
        )
        .where(scope.in_range(h.changed_at))
        .group_by(h.to_stage_id, h.currency)
        .subquery("per_currency")
    )
    c = per_currency.c
    per_stage = (
        select(
            c.to_stage_id,
            *[func.sum(c[name]).label(name) for name in ("entered", "still_there", "converted")],
            *[func.sum(c[name]).label(name) for name in ("entries", "days")],
            func.sum(conversion.amount(c.amount, c.currency)).label("value"),
            func.sum(case((conversion.lacks_rate(c.currency), c.still_there), else_=0)).label(
                "unconverted"
            ),
        )
        .select_from(conversion.join(per_currency))
        .group_by(c.to_stage_id)
        .subquery("per_stage")
    )
    return (
        select(
            stages.c.id,
            stages.c.name,
            stages.c.position,
            stages.c.kind,
            stages.c.retired_at,
            *[column for column in per_stage.c if column.name != "to_stage_id"],
        )
        .select_from(stages.outerjoin(per_stage, per_stage.c.to_stage_id == stages.c.id))
        .where(stages.c.pipeline_id == pipeline_id)
        .order_by(stages.c.position, stages.c.name)
    )


def _still_there(scope: Scope, pipeline_id: uuid.UUID) -> list[Any]:
    """Deals of the pipeline that entered their current stage in the period."""
    entered_current = exists().where(
        stage_changes.c.deal_id == deals.c.id,
        stage_changes.c.to_stage_id == deals.c.stage_id,
        scope.in_range(stage_changes.c.changed_at),
    )
    return [deals.c.pipeline_id == pipeline_id, entered_current]
