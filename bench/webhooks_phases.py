"""The measured phases of `bench.webhooks`: the bare httpx ceiling and three commit patterns.

Each phase commits customer changes through the real unit of work (so the outbox event and the
delivery row commit with the change) and waits until the receiver has every `webhook-id`.
Commit time is `time.time()` right after the unit of work exits; receipt time is the receiver's
`time.time()` (same machine clock).
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable, Sequence
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bench.webhooks_receiver import ReceiverProcess, count, reset, stats
from kernel.crud import create_entity
from kernel.outbox import OUTBOX_KEY
from kernel.principal import SYSTEM
from kernel.tables import table_of
from kernel.unit_of_work import unit_of_work
from models import Event
from resolvers.customers.service import CUSTOMER_RULES
from webhooks.payloads import encode, envelope
from webhooks.signing import signature_headers

Committed = list[tuple[str, float]]  # (webhook-id, commit time)
Factory = async_sessionmaker[AsyncSession]


async def commit_changes(factory: Factory, names: Sequence[str]) -> Committed:
    """Create one customer per name in one unit of work; the event ids and the commit time."""
    async with unit_of_work(factory) as session:
        for name in names:
            await create_entity(session, SYSTEM, CUSTOMER_RULES, {"name": name})
        events = list(session.info.get(OUTBOX_KEY, []))
    committed = time.time()
    return [(str(event.id), committed) for event in events]


async def delivered(
    control: httpx.AsyncClient, receiver: ReceiverProcess, expected: int, wait_seconds: float
) -> dict[str, Any]:
    """Wait until the receiver has ``expected`` distinct ids (or ``wait_seconds``); its stats."""
    deadline = time.monotonic() + wait_seconds
    while time.monotonic() < deadline:
        if await count(control, receiver) >= expected:
            break
        await asyncio.sleep(0.05)
    return await stats(control, receiver)


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile of unsorted ``values``."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def summary(committed: Committed, received: dict[str, Any], started: float) -> dict[str, Any]:
    """Events/s from ``started`` to the last receipt, and commit-to-receipt latencies."""
    first: dict[str, float] = received["first"]
    latencies = [(first[i] - at) * 1000 for i, at in committed if i in first]
    last = max((first[i] for i, _ in committed if i in first), default=started)
    seconds = max(last - started, 1e-9)
    return {
        "events": len(committed),
        "delivered": len(latencies),
        "seconds": round(seconds, 3),
        "events_per_s": round(len(latencies) / seconds, 1),
        "p50_ms": round(percentile(latencies, 0.5), 1) if latencies else None,
        "p99_ms": round(percentile(latencies, 0.99), 1) if latencies else None,
        "max_ms": round(max(latencies), 1) if latencies else None,
        "duplicates": received["duplicates"],
        "bad_signatures": received["bad_signatures"],
    }


async def backlog(
    factory: Factory,
    control: httpx.AsyncClient,
    receiver: ReceiverProcess,
    n: int,
    wait_seconds: float,
    cpu_seconds: Callable[[], float] | None = None,
) -> dict[str, Any]:
    """N changes in one transaction, then drained: the dispatcher's delivery rate; with
    ``cpu_seconds`` (the delivering processes' CPU so far), their CPU per event delivered,
    counted from the commit (the producer's inserts are not the dispatcher's)."""
    committed = await commit_changes(factory, [f"backlog {i}" for i in range(n)])
    cpu_at_commit = cpu_seconds() if cpu_seconds else 0.0
    received = await delivered(control, receiver, len(committed), wait_seconds)
    result = {"phase": "backlog", **summary(committed, received, committed[0][1])}
    if cpu_seconds and result["delivered"]:
        used = cpu_seconds() - cpu_at_commit
        result["cpu_ms_per_event"] = round(used * 1000 / result["delivered"], 3)
    return result


async def burst(
    factory: Factory,
    control: httpx.AsyncClient,
    receiver: ReceiverProcess,
    n: int,
    wait_seconds: float,
) -> dict[str, Any]:
    """N one-change transactions back to back while delivering: the end-to-end rate."""
    started = time.time()
    committed: Committed = []
    for i in range(n):
        committed += await commit_changes(factory, [f"burst {i}"])
    commit_seconds = time.time() - started
    received = await delivered(control, receiver, len(committed), wait_seconds)
    return {
        "phase": "burst",
        **summary(committed, received, started),
        "commits_per_s": round(n / commit_seconds, 1),
    }


async def steady(
    factory: Factory,
    control: httpx.AsyncClient,
    receiver: ReceiverProcess,
    rate: float,
    n: int,
    wait_seconds: float,
) -> dict[str, Any]:
    """N one-change transactions at ``rate`` per second: commit-to-receipt latency."""
    started = time.time()
    committed: Committed = []
    for i in range(n):
        await asyncio.sleep(max(0.0, started + i / rate - time.time()))
        committed += await commit_changes(factory, [f"steady {i}"])
    commit_seconds = committed[-1][1] - started
    received = await delivered(control, receiver, len(committed), wait_seconds)
    return {
        "phase": f"steady {rate:g}/s",
        **summary(committed, received, started),
        "commits_per_s": round(n / max(commit_seconds, 1e-9), 1),
    }


async def stored_bodies(factory: Factory, n: int) -> list[tuple[str, bytes]]:
    """The first ``n`` outbox events as the dispatcher encodes them: (id, body)."""
    events = table_of(Event)
    async with factory() as session:
        rows = (await session.execute(select(events).order_by(events.c.position).limit(n))).all()
    return [(str(row.id), encode(envelope(row))) for row in rows]


async def bare_loop(
    control: httpx.AsyncClient,
    receiver: ReceiverProcess,
    bodies: Sequence[tuple[str, bytes]],
    secret: str,
    concurrency: int,
    batch: int | None,
    cpu_seconds: Callable[[], float] | None = None,
) -> dict[str, Any]:
    """Post the same signed bodies with ``concurrency`` in flight: one keep-alive client, or
    (``batch``) a fresh client per ``batch`` posts, each batch finished before the next starts
    (how the dispatcher sent before it kept its clients and claimed continuously)."""
    await reset(control, receiver, secret)
    host = receiver.base_url.removeprefix("http://")

    async def post(client: httpx.AsyncClient, message_id: str, body: bytes) -> None:
        headers = {
            "content-type": "application/json",
            "user-agent": "crm-webhooks/1",
            "host": host,
            **signature_headers([secret], message_id, int(time.time()), body),
        }
        response = await client.post(receiver.hooks_url, content=body, headers=headers)
        response.raise_for_status()

    async def send_all(items: Sequence[tuple[str, bytes]]) -> None:
        limit = asyncio.Semaphore(concurrency)

        async def one(message_id: str, body: bytes) -> None:
            async with limit:
                await post(client, message_id, body)

        async with httpx.AsyncClient(timeout=10.0, follow_redirects=False) as client:
            await asyncio.gather(*(one(i, b) for i, b in items))

    started = time.time()
    cpu_at_start = cpu_seconds() if cpu_seconds else 0.0
    step = batch or len(bodies)
    for offset in range(0, len(bodies), step):
        await send_all(bodies[offset : offset + step])
    cpu_used = cpu_seconds() - cpu_at_start if cpu_seconds else 0.0
    received = await delivered(control, receiver, len(bodies), 10.0)
    committed = [(message_id, started) for message_id, _ in bodies]
    result = summary(committed, received, started)
    if cpu_seconds and result["delivered"]:
        result["cpu_ms_per_event"] = round(cpu_used * 1000 / result["delivered"], 3)
    for key in ("p50_ms", "p99_ms", "max_ms"):  # not commit-to-receipt: time since the start
        result[key] = None
    name = f"bare, new client per {batch}" if batch else "bare, one client"
    return {"phase": name, **result}
