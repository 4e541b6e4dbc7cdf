"""When a failed delivery is tried again: the Standard Webhooks schedule, with jitter."""

from __future__ import annotations

import random
from datetime import timedelta

# Delay before attempt 1, 2, ... (the first is immediate); after the last, the delivery fails.
SCHEDULE = (
    timedelta(0),
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=14),
    timedelta(hours=20),
    timedelta(hours=24),
)
MAX_ATTEMPTS = len(SCHEDULE)
JITTER = 0.1
MAX_RETRY_AFTER = timedelta(hours=1)


def next_delay(
    attempts_made: int,
    retry_after: timedelta | None = None,
    rng: random.Random | None = None,
) -> timedelta | None:
    """How long to wait before the next attempt, or None when every attempt is spent.

    The receiver's `Retry-After` is honoured when longer than the schedule, up to an hour.
    """
    if attempts_made >= MAX_ATTEMPTS:
        return None
    delay = SCHEDULE[attempts_made]
    jitter = 1 + (rng or random).uniform(-JITTER, JITTER)
    delay = timedelta(seconds=delay.total_seconds() * jitter)
    if retry_after is not None:
        delay = max(delay, min(retry_after, MAX_RETRY_AFTER))
    return delay


def parse_retry_after(value: str | None) -> timedelta | None:
    """`Retry-After` in seconds (the HTTP-date form is not used by webhook receivers)."""
    if value is None:
        return None
    try:
        seconds = int(value.strip())
    except ValueError:
        return None
    return timedelta(seconds=seconds) if seconds >= 0 else None
