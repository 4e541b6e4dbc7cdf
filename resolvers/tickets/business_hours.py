"""Business time: adding working time to an instant, and counting the working time between two,
in a calendar's time zone (DST-correct through zoneinfo), weekly hours and holidays.

Pure functions over UTC instants; ``calendar=None`` means calendar time (every second counts).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# A calendar with working hours has working time at least once a week; this bound only stops a
# search through a calendar whose every working day is a holiday.
MAX_DAYS = 3 * 366
_CLOCK = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])|24:00")

Period = tuple[time, time | None]  # start, end (None: midnight at the end of the day)


@dataclass(frozen=True)
class Calendar:
    """Working periods per weekday (Monday 0) in local time, and local holiday dates."""

    zone: ZoneInfo
    periods: tuple[tuple[Period, ...], ...]
    holidays: frozenset[date]

    def intervals(
        self, start: datetime, until: datetime | None = None
    ) -> Iterator[tuple[datetime, datetime]]:
        """Working intervals in UTC, in order, from the one holding or following ``start``
        (clipped to it); ends after ``until`` when given."""
        day = start.astimezone(self.zone).date()
        idle_days = 0
        while True:
            local_midnight = datetime.combine(day, time(0), tzinfo=self.zone)
            if until is not None and local_midnight.astimezone(UTC) > until:
                return
            found = False
            if day not in self.holidays:
                for period_start, period_end in self.periods[day.weekday()]:
                    begin = datetime.combine(day, period_start, tzinfo=self.zone).astimezone(UTC)
                    end_day, end_time = (
                        (day, period_end) if period_end else (day + timedelta(days=1), time(0))
                    )
                    end = datetime.combine(end_day, end_time, tzinfo=self.zone).astimezone(UTC)
                    if end <= start or end <= begin:
                        continue
                    found = True
                    yield max(begin, start), end
            idle_days = 0 if found else idle_days + 1
            if idle_days > MAX_DAYS:
                raise ValueError("the calendar has no working time")
            day += timedelta(days=1)


def parse_clock(value: str) -> time | None:
    """ "HH:MM" as a time; "24:00" (only meaningful as an end) as None."""
    if not _CLOCK.fullmatch(value):
        raise ValueError(f"{value!r} is not a time of day as HH:MM")
    if value == "24:00":
        return None
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def zone_named(name: str) -> ZoneInfo:
    """The IANA time zone of this name; ValueError if there is none."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"{name!r} is not an IANA time zone, e.g. Europe/Berlin") from exc


def build_calendar(
    time_zone: str, working_hours: Sequence[Mapping[str, Any]], holidays: Sequence[str]
) -> Calendar:
    """A calendar from stored values: [{weekday, start, end}], ["YYYY-MM-DD"]; ValueError if
    they do not make one (unknown zone, bad times, end not after start, overlaps, no hours)."""
    zone = zone_named(time_zone)
    by_day: list[list[Period]] = [[] for _ in range(7)]
    for period in working_hours:
        weekday = period["weekday"]
        if not isinstance(weekday, int) or not 0 <= weekday <= 6:
            raise ValueError("weekday is 0 (Monday) to 6 (Sunday)")
        start = parse_clock(period["start"])
        end = parse_clock(period["end"])
        if start is None:
            raise ValueError("a working period cannot start at 24:00")
        if end is not None and end <= start:
            raise ValueError(
                f"a working period ends after it starts: {period['start']}-{period['end']}"
            )
        by_day[weekday].append((start, end))
    for periods in by_day:
        periods.sort()
        for (_, end), (next_start, _) in pairwise(periods):
            if end is None or end > next_start:
                raise ValueError("working periods of a day overlap")
    if not any(by_day):
        raise ValueError("a calendar needs at least one working period")
    return Calendar(
        zone=zone,
        periods=tuple(tuple(periods) for periods in by_day),
        holidays=frozenset(date.fromisoformat(day) for day in holidays),
    )


@lru_cache(maxsize=256)
def _cached(
    time_zone: str, hours: tuple[tuple[int, str, str], ...], holidays: tuple[str, ...]
) -> Calendar:
    periods = [{"weekday": w, "start": s, "end": e} for w, s, e in hours]
    return build_calendar(time_zone, periods, holidays)


def calendar_of(row: Any) -> Calendar:
    """The calendar of a `business_calendars` row (parsed once per distinct content)."""
    hours = tuple((p["weekday"], p["start"], p["end"]) for p in row.working_hours)
    return _cached(row.time_zone, hours, tuple(row.holidays))


def add_business_seconds(start: datetime, seconds: float, calendar: Calendar | None) -> datetime:
    """The instant at which ``seconds`` of working time have passed since ``start``."""
    if calendar is None:
        return start + timedelta(seconds=seconds)
    if seconds <= 0:
        return start
    remaining = seconds
    for begin, end in calendar.intervals(start):
        span = (end - begin).total_seconds()
        if remaining <= span:
            return begin + timedelta(seconds=remaining)
        remaining -= span
    raise AssertionError("unreachable: intervals() runs until it raises")


def add_business_minutes(start: datetime, minutes: int, calendar: Calendar | None) -> datetime:
    """The instant at which ``minutes`` of working time have passed since ``start``."""
    return add_business_seconds(start, minutes * 60, calendar)


def business_seconds_between(start: datetime, end: datetime, calendar: Calendar | None) -> int:
    """Working seconds from ``start`` to ``end``; negative when ``end`` is earlier."""
    if end < start:
        return -business_seconds_between(end, start, calendar)
    if calendar is None:
        return round((end - start).total_seconds())
    total = 0.0
    for begin, finish in calendar.intervals(start, until=end):
        if begin >= end:
            break
        total += (min(finish, end) - begin).total_seconds()
    return round(total)
