"""The forecast: per period and group, won amounts and open amounts by forecast category."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import ForecastCategory, StageKind
from resolvers.deals.reports.buckets import Period, period_key
from resolvers.deals.reports.currency import Conversion, money
from resolvers.deals.reports.scope import (
    Scope,
    deals,
    dialect_name,
    pipelines,
    stages,
    start_report,
    teams,
    users,
)


class ForecastGroup(StrEnum):
    OWNER = "owner"
    TEAM = "team"
    PIPELINE = "pipeline"


@dataclass(frozen=True)
class ForecastRow:
    period: str
    group_id: uuid.UUID | None
    group_name: str | None
    closed_won: Decimal
    commit: Decimal
    best_case: Decimal
    pipeline: Decimal
    weighted: Decimal


@dataclass(frozen=True)
class Forecast:
    period: Period
    group_by: ForecastGroup
    currency: str
    as_of: date
    rows: list[ForecastRow]
    missing_rates: list[str]


async def sales_forecast(
    session: AsyncSession, scope: Scope, period: Period, group_by: ForecastGroup
) -> Forecast:
    """Won deals bucketed by `closed_at`, open ones by `expected_close_date`, in one query."""
    await start_report(session)
    conversion = Conversion.to(scope.currency, scope.as_of)
    per_currency = _per_currency(dialect_name(session), scope, period, group_by)
    c = per_currency.c

    def converted(column: Any) -> Any:
        return func.sum(conversion.amount(column, c.currency))

    statement = (
        select(
            c.period,
            c.group_id,
            c.group_name,
            converted(c.closed_won).label("closed_won"),
            converted(c.commit).label("commit"),
            converted(c.best_case).label("best_case"),
            converted(c.pipeline).label("pipeline"),
            (converted(c.weighted) / 100).label("weighted"),
            func.sum(case((conversion.lacks_rate(c.currency), c.deals), else_=0)).label(
                "unconverted"
            ),
        )
        .select_from(conversion.join(per_currency))
        .group_by(c.period, c.group_id, c.group_name)
        .order_by(c.period, c.group_name, c.group_id)
    )
    rows = (await session.execute(statement)).all()
    missing: list[str] = []
    if any(row.unconverted for row in rows):
        missing = await conversion.missing_currencies(
            session,
            [*scope.deal_conditions(), _counted(scope)],
            deals.join(stages, stages.c.id == deals.c.stage_id),
        )
    result = [_row(row) for row in rows]
    return Forecast(period, group_by, scope.currency, scope.as_of, result, missing)


def _per_currency(dialect: str, scope: Scope, period: Period, group_by: ForecastGroup) -> Any:
    """Sums per period, group and currency: the one pass over the deals."""
    won = stages.c.kind == StageKind.WON.value
    group_id, group_name, joined = _group(group_by)
    period_key_ = case(
        (won, period_key(dialect, deals.c.closed_at, period)),
        else_=period_key(dialect, deals.c.expected_close_date, period),
    ).label("period")
    bucketed = (
        select(
            period_key_,
            group_id.label("group_id"),
            group_name.label("group_name"),
            deals.c.currency,
            stages.c.kind,
            stages.c.forecast_category,
            stages.c.probability,
            deals.c.amount,
        )
        .select_from(joined.join(stages, stages.c.id == deals.c.stage_id))
        .where(*scope.deal_conditions(), _counted(scope))
        .subquery("bucketed")
    )
    b = bucketed.c

    def in_category(category: ForecastCategory) -> Any:
        condition = and_(b.kind == StageKind.OPEN.value, b.forecast_category == category.value)
        return func.sum(case((condition, b.amount)))

    return (
        select(
            b.period,
            b.group_id,
            b.group_name,
            b.currency,
            func.count().label("deals"),
            func.sum(case((b.kind == StageKind.WON.value, b.amount))).label("closed_won"),
            in_category(ForecastCategory.COMMIT).label("commit"),
            in_category(ForecastCategory.BEST_CASE).label("best_case"),
            in_category(ForecastCategory.PIPELINE).label("pipeline"),
            func.sum(case((b.kind == StageKind.OPEN.value, b.amount * b.probability))).label(
                "weighted"
            ),
        )
        .group_by(b.period, b.group_id, b.group_name, b.currency)
        .subquery("per_currency")
    )


def _counted(scope: Scope) -> ColumnElement[bool]:
    """Won deals closed in the period, and open deals expected to close in it."""
    won = and_(
        stages.c.kind == StageKind.WON.value,
        deals.c.closed_at.is_not(None),
        scope.in_range(deals.c.closed_at),
    )
    open_ = and_(
        stages.c.kind == StageKind.OPEN.value,
        stages.c.forecast_category != ForecastCategory.OMITTED.value,
        scope.dates_in_range(deals.c.expected_close_date),
    )
    return or_(won, open_)


def _group(group_by: ForecastGroup) -> tuple[Any, Any, Any]:
    """The group's id and name columns, and the deals joined to what names it."""
    match group_by:
        case ForecastGroup.OWNER:
            joined = deals.outerjoin(users, users.c.id == deals.c.owner_id)
            return deals.c.owner_id, users.c.name, joined
        case ForecastGroup.TEAM:
            joined = deals.outerjoin(users, users.c.id == deals.c.owner_id).outerjoin(
                teams, teams.c.id == users.c.team_id
            )
            return users.c.team_id, teams.c.name, joined
        case ForecastGroup.PIPELINE:
            joined = deals.join(pipelines, pipelines.c.id == deals.c.pipeline_id)
            return deals.c.pipeline_id, pipelines.c.name, joined


def _row(row: Any) -> ForecastRow:
    return ForecastRow(
        period=row.period,
        group_id=row.group_id,
        group_name=row.group_name,
        closed_won=money(row.closed_won),
        commit=money(row.commit),
        best_case=money(row.best_case),
        pipeline=money(row.pipeline),
        weighted=money(row.weighted),
    )
