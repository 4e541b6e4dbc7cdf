"""Period keys agree on SQLite and PostgreSQL, at UTC month and quarter boundaries."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import Date, literal, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from app.db import create_engine
from models import UTCDateTime
from resolvers.deals.reports.buckets import Period, period_key

CASES = [
    (datetime(2026, 3, 31, 23, 59, 59, tzinfo=UTC), "2026-03", "2026-Q1"),
    (datetime(2026, 4, 1, 0, 0, 0, tzinfo=UTC), "2026-04", "2026-Q2"),
    (datetime(2026, 12, 31, 23, 59, 59, 999999, tzinfo=UTC), "2026-12", "2026-Q4"),
    (datetime(2027, 1, 1, tzinfo=UTC), "2027-01", "2027-Q1"),
    (datetime(2026, 9, 30, 23, 0, tzinfo=UTC), "2026-09", "2026-Q3"),
    (datetime(2026, 10, 1, tzinfo=UTC), "2026-10", "2026-Q4"),
]
DATE_CASES = [
    (date(2026, 3, 31), "2026-03", "2026-Q1"),
    (date(2026, 4, 1), "2026-04", "2026-Q2"),
    (date(2026, 12, 31), "2026-12", "2026-Q4"),
    (date(2027, 1, 1), "2027-01", "2027-Q1"),
]


async def _keys(engine: AsyncEngine, value: Any, column_type: Any) -> tuple[str, str]:
    dialect = engine.dialect.name
    column = literal(value, column_type)
    statement = select(
        period_key(dialect, column, Period.MONTH), period_key(dialect, column, Period.QUARTER)
    )
    async with engine.connect() as connection:
        # Far from UTC on both sides of midnight: PostgreSQL must not bucket in session time.
        if dialect == "postgresql":
            await connection.execute(text("SET TIME ZONE 'Pacific/Kiritimati'"))
        month, quarter = (await connection.execute(statement)).one()
    return month, quarter


@pytest.fixture
async def sqlite_engine(tmp_path: Any) -> Any:
    """A throwaway SQLite database, to compare with the suite's (maybe PostgreSQL) one."""
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'buckets.db'}")
    yield engine
    await engine.dispose()


@pytest.mark.parametrize(("moment", "month", "quarter"), CASES)
async def test_period_keys_of_times_are_utc_on_both_databases(
    engine: AsyncEngine, sqlite_engine: AsyncEngine, moment: datetime, month: str, quarter: str
) -> None:
    assert await _keys(engine, moment, UTCDateTime()) == (month, quarter)
    assert await _keys(sqlite_engine, moment, UTCDateTime()) == (month, quarter)


@pytest.mark.parametrize(("day", "month", "quarter"), DATE_CASES)
async def test_period_keys_of_dates_agree_on_both_databases(
    engine: AsyncEngine, sqlite_engine: AsyncEngine, day: date, month: str, quarter: str
) -> None:
    assert await _keys(engine, day, Date()) == (month, quarter)
    assert await _keys(sqlite_engine, day, Date()) == (month, quarter)
