"""An import's read-ahead gives way to its writer: the next batch is prepared only while the
current one waits on a long database operation (an INSERT, a commit) or for the next batch.

With SQLite the driver runs each statement in its own thread, which needs the GIL to start
and to hand back a result: preparation running beside a short query delays it by up to a
switch interval (5 ms), and with a dozen short queries a batch that adds up to more than the
overlap gains."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar


class Pacer:
    """A gate for the read-ahead: open while the writer waits on something long."""

    def __init__(self, handoff: bool = True) -> None:
        """``handoff``: the database driver works in a thread of this process (SQLite), which
        each step of preparation gives a chance to take the GIL."""
        self._handoff = _HANDOFF if handoff else 0.0
        self._open = asyncio.Event()
        self._open.set()

    def hold(self) -> None:
        self._open.clear()

    def release(self) -> None:
        self._open.set()

    async def turn(self) -> None:
        """Between two steps of preparation: let the writer resume, then wait for the gate."""
        if self._handoff:
            time.sleep(self._handoff)  # noqa: ASYNC251 (a deliberate GIL hand-off, see _HANDOFF)
        await asyncio.sleep(0)
        await self._open.wait()


# Long enough for the driver's thread, waiting for the GIL, to take it: a release through the
# event loop's poll is re-taken by this thread before the other one is scheduled.
_HANDOFF = 0.00005

_current: ContextVar[Pacer | None] = ContextVar("bulk_pacer", default=None)


@contextmanager
def pacing(pacer: Pacer) -> Iterator[None]:
    """Writes within the block open ``pacer``'s gate while they wait (see `long_write`)."""
    token = _current.set(pacer)
    try:
        yield
    finally:
        _current.reset(token)


@contextmanager
def long_write() -> Iterator[None]:
    """Around the await of a long write: the read-ahead, if any, may run meanwhile."""
    pacer = _current.get()
    if pacer is None:
        yield
        return
    pacer.release()
    try:
        yield
    finally:
        pacer.hold()
