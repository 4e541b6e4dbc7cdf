"""What a report covers: the deals a filter and the viewer's visibility let through."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Float, cast, func, literal, select, text, true
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.principal import Principal
from kernel.tables import table_of
from kernel.visibility import row_filter
from models import (
    Deal,
    DealStageChange,
    ExchangeRate,
    LostReason,
    Pipeline,
    Stage,
    Team,
    User,
    UTCDateTime,
)

# The very tables `row_filter` speaks of, so its conditions apply to these queries as they are.
deals = table_of(Deal)
stages = table_of(Stage)
stage_changes = table_of(DealStageChange)
pipelines = table_of(Pipeline)
users = table_of(User)
teams = table_of(Team)
lost_reasons = table_of(LostReason)
exchange_rates = table_of(ExchangeRate)


@dataclass(frozen=True)
class ReportFilter:
    """Which deals a report looks at; ``start`` and ``end`` are inclusive UTC days."""

    pipeline_id: uuid.UUID | None = None
    owner_ids: Sequence[uuid.UUID] | None = None
    team_ids: Sequence[uuid.UUID] | None = None
    start: date | None = None
    end: date | None = None


@dataclass(frozen=True)
class Scope:
    """A report's filter, its viewer and the reference date for rates and open durations."""

    filter: ReportFilter
    principal: Principal
    currency: str
    as_of: date
    now: datetime

    @classmethod
    def of(
        cls,
        filter_: ReportFilter,
        principal: Principal,
        currency: str,
        as_of: date | None = None,
        now: datetime | None = None,
    ) -> Scope:
        """``now`` (default: the current time) is capped at the end of ``as_of``."""
        now = now or datetime.now(UTC)
        as_of = as_of or now.date()
        return cls(filter_, principal, currency, as_of, min(now, day_start(as_of, 1)))

    def deal_conditions(self) -> list[ColumnElement[bool]]:
        """Deals that are not deleted, match the pipeline, owner and team, and are visible."""
        f = self.filter
        conditions: list[ColumnElement[bool]] = [deals.c.deleted_at.is_(None)]
        if f.pipeline_id is not None:
            conditions.append(deals.c.pipeline_id == f.pipeline_id)
        if f.owner_ids is not None:
            conditions.append(deals.c.owner_id.in_(f.owner_ids))
        if f.team_ids is not None:
            members = select(users.c.id).where(users.c.team_id.in_(f.team_ids))
            conditions.append(deals.c.owner_id.in_(members))
        if (visible := row_filter("deals", self.principal)) is not None:
            conditions.append(visible)
        return conditions

    def in_range(self, column: Any) -> ColumnElement[bool]:
        """``column`` (a point in time) falls within the filter's days."""
        condition: ColumnElement[bool] = true()
        if self.filter.start is not None:
            condition = condition & (column >= day_start(self.filter.start))
        if self.filter.end is not None:
            condition = condition & (column < day_start(self.filter.end, 1))
        return condition

    def dates_in_range(self, column: Any) -> ColumnElement[bool]:
        """``column`` (a date) falls within the filter's days."""
        condition: ColumnElement[bool] = column.is_not(None)
        if self.filter.start is not None:
            condition = condition & (column >= self.filter.start)
        if self.filter.end is not None:
            condition = condition & (column <= self.filter.end)
        return condition

    def now_literal(self) -> ColumnElement[datetime]:
        return literal(self.now, UTCDateTime())


def day_start(day: date, plus_days: int = 0) -> datetime:
    return datetime.combine(day + timedelta(days=plus_days), time(), UTC)


def days_between(session: AsyncSession, start: Any, end: Any) -> ColumnElement[Any]:
    """``end - start`` in days, as a float, on either database."""
    if dialect_name(session) == "postgresql":
        return cast(func.extract("epoch", end - start), Float) / 86400.0
    return cast(func.julianday(end) - func.julianday(start), Float)


def dialect_name(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


async def start_report(session: AsyncSession) -> None:
    """Settings for this transaction's report queries: PostgreSQL's JIT compilation costs these
    few large aggregates more than it saves (see bench/README.md, "Sales reports")."""
    if dialect_name(session) == "postgresql":
        await session.execute(text("SET LOCAL jit = off"))
