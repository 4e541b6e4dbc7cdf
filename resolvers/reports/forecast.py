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
from resolvers.reports.buckets import Period, period_key
from resolvers.reports.currency import Conversion, money
from resolvers.reports.scope import Scope, deals, dialect_name, pipelines, stages, teams, users


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
    conversion = Conversion.to(scope.currency, scope.as_of)
    counted = _counted(scope)
    won = stages.c.kind == StageKind.WON.value
    group_id, group_name, joined = _group(group_by)
    bucketed = (
        select(
            case(
                (won, period_key(dialect_name(session), deals.c.closed_at, period)),
                else_=period_key(dialect_name(session), deals.c.expected_close_date, period),
            ).label("period"),
            group_id.label("group_id"),
            group_name.label("group_name"),
            stages.c.kind,
            stages.c.forecast_category,
            stages.c.probability,
            conversion.amount().label("value"),
            case((conversion.lacks_rate(), 1), else_=0).label("unconverted"),
        )
        .select_from(
            joined.join(stages, stages.c.id == deals.c.stage_id).outerjoin(
                conversion.rates, conversion.join_condition()
            )
        )
        .where(*scope.deal_conditions(), counted)
        .subquery("bucketed")
    )
    statement = (
        select(
            bucketed.c.period,
            bucketed.c.group_id,
            bucketed.c.group_name,
            *_sums(bucketed),
            func.sum(bucketed.c.unconverted).label("unconverted"),
        )
        .group_by(bucketed.c.period, bucketed.c.group_id, bucketed.c.group_name)
        .order_by(bucketed.c.period, bucketed.c.group_name, bucketed.c.group_id)
    )
    rows = (await session.execute(statement)).all()
    missing: list[str] = []
    if any(row.unconverted for row in rows):
        missing = await conversion.missing_currencies(
            session,
            [*scope.deal_conditions(), counted],
            deals.join(stages, stages.c.id == deals.c.stage_id),
        )
    result = [_row(row) for row in rows]
    return Forecast(period, group_by, scope.currency, scope.as_of, result, missing)


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


def _sums(bucketed: Any) -> list[Any]:
    is_open = bucketed.c.kind == StageKind.OPEN.value

    def in_category(category: ForecastCategory) -> Any:
        condition = and_(is_open, bucketed.c.forecast_category == category.value)
        return func.sum(case((condition, bucketed.c.value)))

    return [
        func.sum(case((bucketed.c.kind == StageKind.WON.value, bucketed.c.value))).label(
            "closed_won"
        ),
        in_category(ForecastCategory.COMMIT).label("commit"),
        in_category(ForecastCategory.BEST_CASE).label("best_case"),
        in_category(ForecastCategory.PIPELINE).label("pipeline"),
        func.sum(case((is_open, bucketed.c.value * bucketed.c.probability / 100))).label(
            "weighted"
        ),
    ]


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
