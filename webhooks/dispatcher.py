"""Delivery of the outbox: claim due deliveries with a lease, POST them signed, record attempts.

No lock or transaction is held across the HTTP call: a claim is a short transaction that sets a
lease, the call happens outside it, and the outcomes are written later in another short
transaction, a batch at a time. A worker that dies mid-delivery leaves a lease that expires;
the delivery is then claimed again and sent with the same `webhook-id`, so receivers can
de-duplicate.

Delivering continuously (`run_forever`, `drain`), the dispatcher claims again as soon as an
endpoint has room, rather than after a whole batch: a slow endpoint holds back only its own
deliveries. Each endpoint holds at most a few times its `maxConcurrency` claimed deliveries, and
one whose lease could run out before its request ends is not sent but left to be claimed again
(by then its lease has expired), so no delivery is sent while another dispatcher may hold it.
The outcomes waiting to be written go into the next claim's transaction, or their own after a
short wait: on SQLite every transaction and statement costs a few thread hops, and those are
most of the dispatcher's own CPU.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kernel.unit_of_work import unit_of_work
from webhooks.claims import Claimed, claim_due
from webhooks.recording import Result, record_outcomes
from webhooks.sending import Sender
from webhooks.targets import Network

logger = logging.getLogger("crm.webhooks")
LOOK_PAST_EVERY_SECONDS = 0.25


@dataclass(frozen=True)
class DispatchSettings:
    batch_size: int = 100
    lease: timedelta = timedelta(seconds=60)
    timeout_seconds: float = 10.0
    max_response_bytes: int = 2048
    allow_http: bool = False
    allowed_networks: tuple[Network, ...] = ()
    # Claimed but unsent deliveries an endpoint may hold, per unit of its concurrency: more
    # means fewer claims; those left waiting near the end of their lease are not sent.
    held_per_slot: int = 8
    # Outcomes are written this long after the first of a batch arrives, or at batch_size.
    record_after_seconds: float = 0.02
    # On stop, requests in flight get this long to finish (and be recorded) before they are
    # cancelled; a cancelled one keeps its lease and is sent again, with the same webhook-id.
    stop_grace_seconds: float = 2.0


@dataclass
class _Lane:
    """One endpoint's deliveries held by this dispatcher: claimed and not yet sent."""

    slots: asyncio.Semaphore
    cap: int
    held: int = 0


@dataclass
class Dispatcher:
    """Claims and delivers due webhook deliveries; any number may run against PostgreSQL."""

    session_factory: async_sessionmaker[AsyncSession]
    settings: DispatchSettings = field(default_factory=DispatchSettings)
    worker_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    # Called when a claim leaves due deliveries behind: arq workers ask an idle one to help.
    on_backlog: Callable[[], None] | None = None
    _sender: Sender = field(init=False)
    _lanes: dict[uuid.UUID, _Lane] = field(default_factory=dict)
    _last_sent: dict[uuid.UUID, float] = field(default_factory=dict)
    _failing: set[uuid.UUID] = field(default_factory=set)
    _writing: asyncio.Lock = field(default_factory=asyncio.Lock)
    _claim_again: asyncio.Event = field(default_factory=asyncio.Event)
    _more_due: bool = False
    _running: bool = False
    _look_past_at: float = 0.0

    def __post_init__(self) -> None:
        self._sender = Sender(
            timeout_seconds=self.settings.timeout_seconds,
            max_response_bytes=self.settings.max_response_bytes,
            allow_http=self.settings.allow_http,
            allowed_networks=self.settings.allowed_networks,
        )

    async def run_once(self) -> int:
        """Claim one batch, send it and record its outcomes together; returns how many."""
        claimed, deadline = await self._claim(room=False)
        results: list[Result] = []
        await asyncio.gather(*(self._deliver(item, deadline, results.append) for item in claimed))
        await self._record(results)
        return len(claimed)

    async def run_forever(self, wake: asyncio.Event, poll_seconds: float = 1.0) -> None:
        """Deliver until cancelled, claiming on `wake`, as endpoints get room, or every
        `poll_seconds`; closes the HTTP clients at the end."""
        try:
            await self._deliver_continuously(wake, poll_seconds, until_idle=False)
        finally:
            await self.aclose()

    async def drain(self, poll_seconds: float = 1.0) -> int:
        """Deliver until nothing is due and every outcome is recorded; returns how many were
        attempted. While a drain runs, another call only makes it claim again."""
        if self._running:
            self._claim_again.set()
            return 0
        return await self._deliver_continuously(None, poll_seconds, until_idle=True)

    async def claim(self) -> list[Claimed]:
        """Lease up to a batch of due deliveries (SKIP LOCKED on PostgreSQL)."""
        async with self._transaction() as session:
            claimed, _ = await claim_due(
                session,
                worker_id=self.worker_id,
                lease=self.settings.lease,
                limit=self.settings.batch_size,
            )
        return claimed

    async def aclose(self) -> None:
        """Close the keep-alive HTTP clients."""
        await self._sender.aclose()

    @contextlib.asynccontextmanager
    async def _transaction(self) -> AsyncIterator[AsyncSession]:
        """A write transaction; on SQLite one at a time, else they would queue in SQLite's busy
        handler (sleeping up to 100 ms a turn) instead of here."""
        bind = self.session_factory.kw.get("bind")
        single_writer = bind is None or bind.dialect.name == "sqlite"
        async with contextlib.AsyncExitStack() as stack:
            if single_writer:
                await stack.enter_async_context(self._writing)
            yield await stack.enter_async_context(unit_of_work(self.session_factory))

    async def _deliver_continuously(
        self, wake: asyncio.Event | None, poll_seconds: float, until_idle: bool
    ) -> int:
        self._running = True
        recorder = _Recorder(
            self._record,
            self.settings.batch_size,
            self.settings.record_after_seconds,
            self._recorded(until_idle),
        )
        sending: set[asyncio.Task[None]] = set()
        total = 0
        try:
            while True:
                self._claim_again.clear()
                if wake is not None:
                    wake.clear()
                try:
                    claimed, deadline = await self._claim(room=True, recorder=recorder)
                except Exception:  # keep delivering what is claimed; try again on the next wake
                    logger.exception("claiming webhook deliveries failed")
                    claimed, deadline = [], 0.0
                total += len(claimed)
                for item in claimed:
                    task = asyncio.create_task(self._deliver(item, deadline, recorder.add))
                    sending.add(task)
                    task.add_done_callback(sending.discard)
                if until_idle and not claimed and not sending and recorder.idle:
                    return total
                await _first_of(self._claim_again, wake, poll_seconds)
        finally:
            self._running = False
            if sending:
                await asyncio.wait(set(sending), timeout=self.settings.stop_grace_seconds)
            for task in sending:
                task.cancel()
            await asyncio.gather(*sending, return_exceptions=True)
            await recorder.close()

    async def _claim(
        self, room: bool, recorder: _Recorder | None = None
    ) -> tuple[list[Claimed], float]:
        """Lease due deliveries into lanes; with ``room``, only as many as each endpoint has
        room for; writes the ``recorder``'s waiting outcomes first, in the same transaction.
        Also the `time.monotonic()` by which their leases have run out."""
        lanes = self._lanes
        free = {e: lane.cap - lane.held for e, lane in lanes.items()} if room else None
        # Looking past a backlog scans every due row: a few times a second is enough.
        look_past = room and time.monotonic() >= self._look_past_at
        if look_past:
            self._look_past_at = time.monotonic() + LOOK_PAST_EVERY_SECONDS
        results = recorder.take() if recorder is not None else []
        try:
            async with self._transaction() as session:
                # Taken before the lease is written: the lease ends no earlier than this.
                deadline = time.monotonic() + self.settings.lease.total_seconds()
                failing = await self._write_outcomes(session, results)
                claimed, saw_more = await claim_due(
                    session,
                    worker_id=self.worker_id,
                    lease=self.settings.lease,
                    limit=self.settings.batch_size,
                    room=free,
                    cap=self._cap,
                    look_past=look_past,
                )
        except BaseException:
            if recorder is not None:
                recorder.put_back(results)
            raise
        if recorder is not None and results:
            self._written(results, failing)
            recorder.written(results)
        # Endpoints without room were not even looked at: they may have more due.
        self._more_due = saw_more or any(slots <= 0 for slots in (free or {}).values())
        if self._more_due and room and self.on_backlog is not None:
            self.on_backlog()
        for item in claimed:
            lane = lanes.get(item.endpoint_id)
            if lane is None:
                cap = self._cap(item.max_concurrency, item.rate_limit_per_second)
                lane = lanes[item.endpoint_id] = _Lane(asyncio.Semaphore(item.max_concurrency), cap)
            lane.held += 1
        return claimed, deadline

    def _cap(self, concurrency: int, rate_limit: float | None) -> int:
        """How many claimed deliveries an endpoint may hold: a few per concurrency slot, and no
        more than its rate limit sends in half a lease."""
        cap = self.settings.held_per_slot * concurrency
        if rate_limit:
            in_half_a_lease = rate_limit * self.settings.lease.total_seconds() / 2
            cap = min(cap, max(1, int(in_half_a_lease)))
        return cap

    async def _deliver(
        self, item: Claimed, lease_ends: float, done: Callable[[Result], None]
    ) -> None:
        lane = self._lanes[item.endpoint_id]
        try:
            async with lane.slots:
                await self._respect_rate(item)
                if time.monotonic() + self._in_flight_margin > lease_ends:
                    # Waited too long for its turn: sent now, it could still be in flight
                    # when the lease runs out and another claim sends it again.
                    logger.info(
                        "webhook delivery %s waits for its lease to run out", item.delivery_id
                    )
                    return
                outcome = await self._sender.send(item)
        except Exception:  # the lease runs out and the delivery is sent again
            logger.exception("webhook delivery %s failed unexpectedly", item.delivery_id)
            return
        finally:
            lane.held -= 1
            if lane.held == 0:
                del self._lanes[item.endpoint_id]
            # Claim again once half the endpoint's room is free, rather than for every slot.
            if self._more_due and lane.held in (0, lane.cap // 2):
                self._claim_again.set()
        done((item, outcome))

    async def _respect_rate(self, item: Claimed) -> None:
        if not item.rate_limit_per_second:
            return
        interval = 1.0 / item.rate_limit_per_second
        now = time.monotonic()
        next_slot = max(now, self._last_sent.get(item.endpoint_id, 0.0) + interval)
        self._last_sent[item.endpoint_id] = next_slot
        if next_slot > now:
            await asyncio.sleep(next_slot - now)

    @property
    def _in_flight_margin(self) -> float:
        """How much lease a delivery needs left to be sent: a request's timeout (half the lease
        at most, so a lease shorter than the timeout does not stop every delivery)."""
        return min(self.settings.timeout_seconds, self.settings.lease.total_seconds() / 2)

    async def _record(self, results: list[Result]) -> None:
        """Write attempts and deliveries' new states in one transaction, releasing the leases."""
        if not results:
            return
        async with self._transaction() as session:
            failing = await self._write_outcomes(session, results)
        self._written(results, failing)

    async def _write_outcomes(self, session: AsyncSession, results: list[Result]) -> set[uuid.UUID]:
        if not results:
            return set()
        maybe_failing = self._failing | {i.endpoint_id for i, _ in results if i.endpoint_failing}
        return await record_outcomes(session, results, maybe_failing)

    def _written(self, results: list[Result], failing: set[uuid.UUID]) -> None:
        endpoints = {item.endpoint_id for item, _ in results}
        self._failing = (self._failing - endpoints) | failing

    def _recorded(self, until_idle: bool) -> Callable[[list[Result]], None]:
        def recorded(batch: list[Result]) -> None:
            # A recorded outcome may unblock the next delivery of a record (ordered endpoints);
            # draining, the last one recorded is the moment to check whether anything is left.
            if any(item.ordered for item, _ in batch) or (until_idle and not self._lanes):
                self._claim_again.set()

        return recorded


class _Recorder:
    """Outcomes waiting to be written: `delay` after the first arrives, or at once when `size`
    are waiting; the next batch gathers while one is written."""

    def __init__(
        self,
        write: Callable[[list[Result]], Awaitable[None]],
        size: int,
        delay: float,
        written: Callable[[list[Result]], None],
    ) -> None:
        self._write, self._size, self._delay, self._written = write, size, delay, written
        self._waiting: list[Result] = []
        self._full = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    @property
    def idle(self) -> bool:
        return not self._waiting and self._task is None

    def take(self) -> list[Result]:
        """The outcomes waiting, for a caller that writes them itself (then `written`)."""
        taken, self._waiting = self._waiting, []
        return taken

    def put_back(self, results: list[Result]) -> None:
        """Outcomes taken but not written: written with the next batch."""
        for result in results:
            self.add(result)

    def written(self, results: list[Result]) -> None:
        """Outcomes taken with `take` are written."""
        self._written(results)

    def add(self, result: Result) -> None:
        self._waiting.append(result)
        if len(self._waiting) >= self._size:
            self._full.set()
        if self._task is None:
            self._task = asyncio.create_task(self._run())

    async def close(self) -> None:
        """Write what is waiting."""
        self._full.set()
        if self._task is not None:
            await self._task

    async def _run(self) -> None:
        try:
            while self._waiting:
                if len(self._waiting) < self._size:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._full.wait(), self._delay)
                self._full.clear()
                batch, self._waiting = self._waiting, []
                if not batch:  # a claim took them (and reported them written)
                    self._written(batch)  # a drain may be waiting for this task to end
                    break
                try:
                    await self._write(batch)
                except Exception:  # the leases run out and the deliveries are sent again
                    logger.exception("recording %d webhook attempts failed", len(batch))
                self._written(batch)
        finally:
            self._task = None


async def _first_of(signal: asyncio.Event, other: asyncio.Event | None, seconds: float) -> None:
    """Wait until either event is set, or ``seconds``."""
    waits = [asyncio.ensure_future(signal.wait())]
    if other is not None:
        waits.append(asyncio.ensure_future(other.wait()))
    try:
        await asyncio.wait(waits, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiting in waits:
            waiting.cancel()
