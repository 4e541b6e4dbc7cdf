"""The service desk's clock: the current instant, which tests may fix for a block."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime

from models import utcnow

_fixed: ContextVar[datetime | None] = ContextVar("service_desk_now", default=None)


def now() -> datetime:
    """The current UTC instant (or the one fixed by `fixed_at`)."""
    return _fixed.get() or utcnow()


@contextmanager
def fixed_at(instant: datetime) -> Iterator[None]:
    """Within the block (and tasks started in it), `now()` is ``instant``."""
    token = _fixed.set(instant)
    try:
        yield
    finally:
        _fixed.reset(token)
