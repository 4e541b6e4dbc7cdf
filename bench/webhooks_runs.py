"""One delivery setup of `bench.webhooks` over a migrated database: the in-process dispatcher,
or `crm worker` processes woken through Redis; the same phases for each, CPU counted per phase."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import redis.asyncio as redis_asyncio
import uvloop

from app.db import create_engine, create_session_factory
from app.jobs.webhook_delivery import webhook_delivery
from app.settings import Settings
from app.wiring import install as install_wiring
from bench import cpu
from bench.servers import ROOT
from bench.webhooks_phases import (
    Factory,
    backlog,
    bare_loop,
    burst,
    commit_changes,
    delivered,
    steady,
    stored_bodies,
)
from bench.webhooks_receiver import ReceiverProcess, reset
from kernel.principal import SYSTEM
from kernel.unit_of_work import unit_of_work
from webhooks.endpoints import TargetPolicy, create_endpoint
from webhooks.targets import parse_networks

# A database of its own (tests use 14); BENCH_REDIS_URL picks another.
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/11")
LOOPBACK = TargetPolicy(allow_http=True, allowed_networks=parse_networks(["127.0.0.0/8"]))
WARMUP_EVENTS = 20


@dataclass(frozen=True)
class Options:
    events: int
    rate: float
    steady_seconds: float
    concurrency: int
    timeout: float


@dataclass(frozen=True)
class Processes:
    receiver: int
    workers: tuple[int, ...] = ()


def _cpu_sample(processes: Processes) -> dict[str, float]:
    return {
        "machine": cpu.machine_busy_seconds(),
        "bench": cpu.process_seconds(os.getpid()),
        "receiver": cpu.process_seconds(processes.receiver),
        "workers": sum(cpu.process_seconds(pid) for pid in processes.workers),
        "pg": cpu.named_seconds("postgres"),
    }


def _delivering_cpu(processes: Processes) -> Callable[[], float]:
    """CPU seconds so far of the processes that deliver: this one and the workers."""

    def seconds() -> float:
        own = cpu.process_seconds(os.getpid())
        return own + sum(cpu.process_seconds(pid) for pid in processes.workers)

    return seconds


async def _with_cpu(phase: Awaitable[dict[str, Any]], processes: Processes) -> dict[str, Any]:
    """The phase's result plus the CPU cores each party used meanwhile."""
    before, started = _cpu_sample(processes), time.perf_counter()
    result = await phase
    after, wall = _cpu_sample(processes), time.perf_counter() - started
    used = {key: (after[key] - before[key]) / wall for key in before}
    parties = ("bench", "receiver", "workers", "pg")
    for key in parties:
        result[f"{key}_cores"] = round(used[key], 2)
    result["other_cores"] = round(max(0.0, used["machine"] - sum(used[k] for k in parties)), 2)
    # This process's and the workers' CPU per event (not PostgreSQL's), unless the phase
    # counted its own: less sensitive to a busy machine than the rate.
    delivering = used["bench"] + used["workers"]
    if "cpu_ms_per_event" not in result and result.get("events_per_s"):
        result["cpu_ms_per_event"] = round(delivering * 1000 / result["events_per_s"], 3)
    return result


async def _subscribe(factory: Factory, url: str) -> str:
    async with unit_of_work(factory) as session:
        _, secret = await create_endpoint(
            session, SYSTEM, {"url": url, "event_types": ["*"]}, LOOPBACK
        )
    return secret


async def _phases(
    factory: Factory,
    control: httpx.AsyncClient,
    receiver: ReceiverProcess,
    secret: str,
    options: Options,
    processes: Processes,
) -> list[dict[str, Any]]:
    await reset(control, receiver, secret)
    warm: list[tuple[str, float]] = []
    for i in range(WARMUP_EVENTS):
        warm += await commit_changes(factory, [f"warm-up {i}"])
    got = await delivered(control, receiver, len(warm), options.timeout)
    if len(got["first"]) < len(warm):
        raise SystemExit(f"warm-up: {len(got['first'])} of {len(warm)} webhooks arrived")
    n, timeout = options.events, options.timeout
    phases: list[Callable[[], Awaitable[dict[str, Any]]]] = [
        lambda: backlog(factory, control, receiver, n, timeout, _delivering_cpu(processes)),
        lambda: burst(factory, control, receiver, n, timeout),
        lambda: steady(
            factory,
            control,
            receiver,
            options.rate,
            max(1, int(options.rate * options.steady_seconds)),
            timeout,
        ),
    ]
    rows = []
    for phase in phases:
        await reset(control, receiver, secret)
        rows.append(await _with_cpu(phase(), processes))
        print(f"  {rows[-1]['phase']}: {rows[-1]['events_per_s']} events/s", file=sys.stderr)
    return rows


async def delivery_run(
    url: str,
    receiver: ReceiverProcess,
    options: Options,
    redis_url: str | None = None,
    workers: tuple[int, ...] = (),
    with_bare: bool = False,
) -> list[dict[str, Any]]:
    """The phases with delivery wired as the app does (`app.jobs.webhook_delivery`); optionally the
    bare httpx loops over the same event bodies afterwards."""
    settings = Settings(database_url=url, redis_url=redis_url)
    engine = create_engine(url, pool_size=settings.db_pool_size)
    factory = create_session_factory(engine)
    install_wiring()
    processes = Processes(receiver.pid, workers)
    try:
        async with httpx.AsyncClient(timeout=30.0) as control:
            secret = await _subscribe(factory, receiver.hooks_url)
            async with webhook_delivery(settings, factory):
                rows = await _phases(factory, control, receiver, secret, options, processes)
            if with_bare:
                bodies = await stored_bodies(factory, options.events)
                for batch in (None, 100):
                    bare = bare_loop(
                        control,
                        receiver,
                        bodies,
                        secret,
                        options.concurrency,
                        batch,
                        _delivering_cpu(processes),
                    )
                    rows.append(
                        {"mode": "bare httpx", "database": "-", **await _with_cpu(bare, processes)}
                    )
    finally:
        await engine.dispose()
    return rows


async def clear_arq_keys(redis_url: str = REDIS_URL) -> None:
    """Remove arq's queue, jobs and results from the benchmark's Redis database."""
    client = redis_asyncio.Redis.from_url(redis_url)
    try:
        keys = [key async for key in client.scan_iter("arq:*")]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()


@contextlib.contextmanager
def running_workers(
    count: int, database_url: str, command: list[str], redis_url: str = REDIS_URL
) -> Iterator[tuple[int, ...]]:
    """``count`` worker processes (e.g. `crm worker`) for the duration of the block."""
    env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": redis_url}
    env["PYTHONPATH"] = str(ROOT)
    started = [subprocess.Popen(command, env=env, cwd=ROOT) for _ in range(count)]
    try:
        time.sleep(3.0)  # imports and the startup sweep; the warm-up waits for the rest
        for process in started:
            if process.poll() is not None:
                raise SystemExit(f"worker exited with status {process.returncode}")
        yield tuple(process.pid for process in started)
    finally:
        for process in started:
            process.terminate()
        for process in started:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def crm_worker_command() -> list[str]:
    return [str(Path(sys.executable).with_name("crm")), "worker"]


def run_async(coroutine: Coroutine[Any, Any, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """Run on uvloop, as `crm serve` (uvicorn) does."""
    return uvloop.run(coroutine)
