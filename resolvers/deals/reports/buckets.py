"""Period keys ("2026-11", "2026-Q4") computed in SQL, identical on SQLite and PostgreSQL.

Times are bucketed in UTC: PostgreSQL's `to_char` would otherwise use the session's time zone,
and SQLite stores our times as naive UTC text already.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, DateTime, Integer, String, cast, func, literal_column

from models import UTCDateTime


class Period(StrEnum):
    MONTH = "month"
    QUARTER = "quarter"


def period_key(dialect: str, column: Any, period: Period) -> ColumnElement[str]:
    """The key of the period ``column`` (a date or a UTC time) falls in."""
    if dialect == "postgresql":
        return _postgres_key(column, period)
    return _sqlite_key(column, period)


def _postgres_key(column: Any, period: Period) -> ColumnElement[str]:
    if isinstance(column.type, UTCDateTime | DateTime) and _has_zone(column.type):
        local = column.op("AT TIME ZONE")(literal_column("'UTC'"))
    else:  # a date: to_char takes it as a timestamp at midnight
        local = cast(column, DateTime(timezone=False))
    pattern = "'YYYY-MM'" if period is Period.MONTH else "'YYYY-\"Q\"Q'"
    return func.to_char(local, literal_column(pattern), type_=String)


def _has_zone(column_type: Any) -> bool:
    impl = column_type.impl if isinstance(column_type, UTCDateTime) else column_type
    return bool(impl.timezone)


def _sqlite_key(column: Any, period: Period) -> ColumnElement[str]:
    year = func.strftime(literal_column("'%Y'"), column, type_=String)
    if period is Period.MONTH:
        return func.strftime(literal_column("'%Y-%m'"), column, type_=String)
    month = cast(func.strftime(literal_column("'%m'"), column), Integer)
    quarter = (month + literal_column("2", Integer)) // literal_column("3", Integer)
    return year + literal_column("'-Q'") + cast(quarter, String)
