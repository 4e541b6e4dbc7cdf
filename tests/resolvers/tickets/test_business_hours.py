"""Business time in a calendar: weekends, holidays and DST changes in local time."""

from datetime import UTC, datetime, timedelta

import pytest

from resolvers.tickets.business_hours import (
    add_business_minutes,
    build_calendar,
    business_seconds_between,
)
from tests.desk import NEW_YORK, WEEKDAYS_9_TO_5, berlin

BERLIN_OFFICE = build_calendar("Europe/Berlin", WEEKDAYS_9_TO_5, ["2026-12-25"])


def test_minutes_carry_over_a_holiday_and_the_weekend() -> None:
    # Thursday 24 December, 16:00: one hour that day; Friday is a holiday, then the weekend.
    due = add_business_minutes(berlin(2026, 12, 24, 16, 0), 120, BERLIN_OFFICE)

    assert due == berlin(2026, 12, 28, 10, 0)


def test_minutes_carry_over_the_end_of_summer_time() -> None:
    # Berlin leaves summer time on Sunday 25 October 2026: Friday is UTC+2, Monday UTC+1.
    due = add_business_minutes(berlin(2026, 10, 23, 16, 0), 120, BERLIN_OFFICE)

    assert due == berlin(2026, 10, 26, 10, 0)
    assert due == datetime(2026, 10, 26, 9, 0, tzinfo=UTC)


def test_minutes_in_new_york_across_the_start_of_daylight_saving_time() -> None:
    calendar = build_calendar("America/New_York", WEEKDAYS_9_TO_5, [])
    start = datetime(2026, 3, 6, 16, 30, tzinfo=NEW_YORK)  # Friday, UTC-5

    due = add_business_minutes(start, 60, calendar)

    assert due == datetime(2026, 3, 9, 9, 30, tzinfo=NEW_YORK)  # Monday, UTC-4
    assert due == datetime(2026, 3, 9, 13, 30, tzinfo=UTC)


def test_a_start_outside_working_hours_counts_from_the_next_opening() -> None:
    due = add_business_minutes(berlin(2026, 12, 5, 12, 0), 30, BERLIN_OFFICE)  # a Saturday

    assert due == berlin(2026, 12, 7, 9, 30)


def test_a_target_ending_at_closing_time_is_due_at_closing_time() -> None:
    assert add_business_minutes(berlin(2026, 12, 7, 9, 0), 480, BERLIN_OFFICE) == berlin(
        2026, 12, 7, 17, 0
    )


def test_seconds_between_skip_nights_weekends_and_holidays() -> None:
    seconds = business_seconds_between(
        berlin(2026, 12, 23, 16, 0), berlin(2026, 12, 28, 10, 0), BERLIN_OFFICE
    )

    # Wednesday 16-17, Thursday 9-17, Monday 9-10.
    assert seconds == (1 + 8 + 1) * 3600


def test_seconds_between_are_negative_backwards() -> None:
    start, end = berlin(2026, 12, 7, 10, 0), berlin(2026, 12, 7, 12, 0)

    assert business_seconds_between(end, start, BERLIN_OFFICE) == -7200


def test_counting_undoes_adding() -> None:
    start = berlin(2026, 10, 22, 11, 17)
    for minutes in (1, 59, 480, 2000, 10_000):
        due = add_business_minutes(start, minutes, BERLIN_OFFICE)
        assert business_seconds_between(start, due, BERLIN_OFFICE) == minutes * 60


def test_without_a_calendar_every_second_counts() -> None:
    start = berlin(2026, 12, 24, 16, 0)

    assert add_business_minutes(start, 120, None) == start + timedelta(hours=2)
    assert business_seconds_between(start, start + timedelta(days=3), None) == 3 * 86400


def test_a_period_may_end_at_midnight() -> None:
    calendar = build_calendar("UTC", [{"weekday": 0, "start": "20:00", "end": "24:00"}], [])
    start = datetime(2026, 12, 7, 23, 0, tzinfo=UTC)  # Monday

    assert add_business_minutes(start, 120, calendar) == datetime(2026, 12, 14, 21, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("zone", "hours", "message"),
    [
        ("Mars/Olympus", WEEKDAYS_9_TO_5, "IANA time zone"),
        ("UTC", [{"weekday": 0, "start": "17:00", "end": "09:00"}], "ends after it starts"),
        ("UTC", [{"weekday": 0, "start": "9:00", "end": "17:00"}], "HH:MM"),
        ("UTC", [{"weekday": 7, "start": "09:00", "end": "17:00"}], "weekday"),
        (
            "UTC",
            [
                {"weekday": 0, "start": "09:00", "end": "13:00"},
                {"weekday": 0, "start": "12:00", "end": "17:00"},
            ],
            "overlap",
        ),
        ("UTC", [], "at least one working period"),
    ],
)
def test_invalid_calendars_are_refused(
    zone: str, hours: list[dict[str, object]], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        build_calendar(zone, hours, [])
