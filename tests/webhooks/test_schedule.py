"""The retry schedule: Standard Webhooks' delays with jitter, Retry-After honoured up to a cap."""

import random
from datetime import timedelta

from webhooks.schedule import MAX_ATTEMPTS, SCHEDULE, next_delay, parse_retry_after


def test_first_attempt_is_immediate_and_later_ones_follow_the_schedule() -> None:
    rng = random.Random(1)

    delays = [next_delay(n, rng=rng) for n in range(MAX_ATTEMPTS)]

    assert delays[0] == timedelta(0)
    for delay, planned in zip(delays[1:], SCHEDULE[1:], strict=True):
        assert delay is not None
        assert planned * 0.9 <= delay <= planned * 1.1


def test_after_the_last_attempt_there_is_no_next_one() -> None:
    assert next_delay(MAX_ATTEMPTS) is None


def test_a_longer_retry_after_is_honoured() -> None:
    delay = next_delay(1, retry_after=timedelta(seconds=120), rng=random.Random(2))

    assert delay == timedelta(seconds=120)


def test_retry_after_is_capped_at_an_hour() -> None:
    delay = next_delay(1, retry_after=timedelta(days=3), rng=random.Random(3))

    assert delay == timedelta(hours=1)


def test_retry_after_header_is_read_in_seconds() -> None:
    assert parse_retry_after("30") == timedelta(seconds=30)
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None
