"""Closed-loop HTTP load generator (asyncio + httpx), run as its own process.

Reads a JSON job from stdin, prints a JSON result to stdout:
``python -m bench.load < job.json``. Loopback targets only; bounded in time and count.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx

LOOPBACK = frozenset({"127.0.0.1"})
MAX_DURATION = 120.0
MAX_CONNECTIONS = 256


@dataclass(frozen=True)
class Job:
    """What to send, how many connections, for how long (after a warm-up)."""

    url: str
    body: dict[str, Any]
    headers: dict[str, str]
    connections: int = 10
    duration: float = 10.0
    warmup: float = 2.0
    max_requests: int = 1_000_000

    def check(self) -> None:
        if urlsplit(self.url).hostname not in LOOPBACK:
            raise ValueError(f"refusing non-loopback target {self.url}")
        if not 0 < self.duration <= MAX_DURATION or not 0 <= self.warmup <= MAX_DURATION:
            raise ValueError("duration and warm-up must be positive and at most 120 s")
        if not 0 < self.connections <= MAX_CONNECTIONS:
            raise ValueError(f"connections must be between 1 and {MAX_CONNECTIONS}")


@dataclass
class Result:
    """Measured-phase figures; latencies in milliseconds."""

    requests: int
    errors: int
    seconds: float
    rps: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    client_cpu: float = field(default=0.0)
    first_error: str | None = None


def percentile(sorted_values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    if not sorted_values:
        return float("nan")
    rank = max(0, min(len(sorted_values) - 1, round(fraction * len(sorted_values)) - 1))
    return sorted_values[rank]


class Phase:
    """Requests completed in one phase (warm-up or measured)."""

    def __init__(self, deadline: float, budget: int) -> None:
        self.deadline = deadline
        self.budget = budget
        self.latencies: list[float] = []
        self.errors = 0
        self.first_error: str | None = None

    def open(self) -> bool:
        return time.perf_counter() < self.deadline and len(self.latencies) < self.budget


async def _worker(http: httpx.AsyncClient, job: Job, content: bytes, phase: Phase) -> None:
    while phase.open():
        started = time.perf_counter()
        try:
            response = await http.post(job.url, content=content)
            failed = response.status_code != 200 or b'"errors"' in response.content
            detail = f"{response.status_code}: {response.text[:300]}" if failed else None
        except httpx.HTTPError as exc:
            failed, detail = True, repr(exc)
        phase.latencies.append(time.perf_counter() - started)
        if failed:
            phase.errors += 1
            phase.first_error = phase.first_error or detail


async def _run_phase(http: httpx.AsyncClient, job: Job, content: bytes, seconds: float) -> Phase:
    phase = Phase(time.perf_counter() + seconds, job.max_requests)
    await asyncio.gather(*(_worker(http, job, content, phase) for _ in range(job.connections)))
    return phase


async def run(job: Job) -> Result:
    """Warm up, then keep ``job.connections`` requests in flight for ``job.duration`` seconds."""
    job.check()
    content = json.dumps(job.body).encode()
    headers = {"content-type": "application/json", "accept": "application/json", **job.headers}
    limits = httpx.Limits(
        max_connections=job.connections, max_keepalive_connections=job.connections
    )
    timeout = httpx.Timeout(30.0)
    async with httpx.AsyncClient(headers=headers, limits=limits, timeout=timeout) as http:
        if job.warmup:
            await _run_phase(http, job, content, job.warmup)
        cpu, started = time.process_time(), time.perf_counter()
        phase = await _run_phase(http, job, content, job.duration)
        seconds = time.perf_counter() - started
        cpu = time.process_time() - cpu
    latencies = sorted(value * 1000 for value in phase.latencies)
    return Result(
        requests=len(latencies),
        errors=phase.errors,
        seconds=round(seconds, 3),
        rps=round(len(latencies) / seconds, 1),
        p50_ms=round(percentile(latencies, 0.50), 2),
        p90_ms=round(percentile(latencies, 0.90), 2),
        p99_ms=round(percentile(latencies, 0.99), 2),
        max_ms=round(latencies[-1], 2) if latencies else float("nan"),
        client_cpu=round(cpu / seconds, 3),
        first_error=phase.first_error,
    )


def main() -> None:
    job = Job(**json.load(sys.stdin))
    try:
        import uvloop
    except ImportError:  # uvloop comes with uvicorn[standard]; plain asyncio also works
        result = asyncio.run(run(job))
    else:
        result = uvloop.run(run(job))
    json.dump(asdict(result), sys.stdout)


if __name__ == "__main__":
    main()
