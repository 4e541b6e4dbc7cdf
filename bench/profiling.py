"""`python -m bench.profiling`: where one server spends a request's time, in-process.

Times N sequential requests through httpx.ASGITransport (no sockets, no load generator),
then repeats them under cProfile and sums own time per layer (graphql-core, strawberry,
SQLAlchemy, driver, ...). cProfile inflates call-heavy code; read shares, not absolutes.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import pstats
import secrets
import time
from pathlib import Path
from typing import Any

from app.http.asgi import create_app
from app.http.auth import issue_token
from app.settings import Settings
from bench.dataset import BENCH_DIR, PG_URL, prepare, sqlite_url, use_bench_keys
from bench.inprocess import client, post_json
from bench.raw_app import create_raw_app
from bench.workloads import WORKLOADS
from kernel.principal import Principal, PrincipalKind

# First matching path fragment names the layer a function's own time is charged to.
LAYERS = (
    ("/graphql/", "graphql-core (execution, validation)"),
    ("/strawberry/", "strawberry (resolver wrapping, types)"),
    ("/sqlalchemy/", "SQLAlchemy (compile, execute, rows)"),
    ("/aiosqlite/", "driver (aiosqlite / asyncpg)"),
    ("/asyncpg/", "driver (aiosqlite / asyncpg)"),
    ("/aiodataloader", "aiodataloader"),
    ("/schema/", "project: schema/"),
    ("/resolvers/", "project: resolvers/"),
    ("/app/", "project: app/"),
    ("/bench/", "bench (raw endpoint)"),
    ("/starlette/", "HTTP: starlette + httpx (in-process)"),
    ("/httpx/", "HTTP: starlette + httpx (in-process)"),
    ("/httpcore/", "HTTP: starlette + httpx (in-process)"),
    ("/json/", "JSON encode/decode"),
    ("/uuid.py", "uuid"),
    ("/base64.py", "base64"),
    ("/asyncio/", "asyncio event loop"),
    ("/greenlet/", "greenlet (SQLAlchemy async bridge)"),
    ("/joserfc/", "JWT check"),
)


def _layer(filename: str, function: str) -> str:
    if function == "<method 'poll' of 'select.epoll' objects>":
        return "waiting: DB thread / IO (epoll)"
    if "greenlet" in function:
        return "greenlet (SQLAlchemy async bridge)"
    for fragment, layer in LAYERS:
        if fragment in filename:
            return layer
    return "other (builtins, stdlib)" if filename == "~" else f"other: {Path(filename).name}"


def by_layer(stats: pstats.Stats) -> list[tuple[str, float]]:
    """Own (tottime) seconds per layer, largest first."""
    totals: dict[str, float] = {}
    raw_stats: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    for (filename, _line, function), (_cc, _nc, tottime, _ct, _callers) in raw_stats.items():
        layer = _layer(filename, function)
        totals[layer] = totals.get(layer, 0.0) + tottime
    return sorted(totals.items(), key=lambda item: item[1], reverse=True)


def count_fields(value: Any) -> int:
    """Resolved fields in a GraphQL `data` value: every key of every object."""
    if isinstance(value, dict):
        return len(value) + sum(count_fields(item) for item in value.values())
    if isinstance(value, list):
        return sum(count_fields(item) for item in value)
    return 0


async def _profile(url: str, workload_name: str, requests: int, top: int) -> None:
    workload = next(w for w in WORKLOADS if w.name == workload_name)
    settings = Settings(
        database_url=url,
        crm_env="production",
        crm_secret_key=secrets.token_urlsafe(32),
        log_level="WARNING",
    )
    token = issue_token(
        settings, Principal(subject="bench", kind=PrincipalKind.OPERATOR, role="admin")
    )
    body = workload.graphql_body()
    for name, app, path in (
        ("graphql", create_app(settings), "/graphql"),
        ("raw", create_raw_app(settings), workload.raw_path),
    ):
        async with client(app, token) as http:
            data = (await post_json(http, path, body))["data"]
            for _ in range(5):
                await post_json(http, path, body)
            started = time.perf_counter()
            for _ in range(requests):
                await post_json(http, path, body)
            wall = (time.perf_counter() - started) / requests * 1000
            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(requests):
                await post_json(http, path, body)
            profiler.disable()
        await app.state.engine.dispose()
        fields = count_fields(data)
        print(
            f"\n== {name} / {workload.name}: {wall:.2f} ms per request unprofiled, "
            f"{fields} fields, {wall * 1000 / fields:.2f} us per field"
        )
        stats = pstats.Stats(profiler)
        total = sum(seconds for _, seconds in by_layer(stats))
        for layer, seconds in by_layer(stats):
            share = seconds / total
            if share >= 0.005:
                print(f"  {share:6.1%} {seconds / requests * 1000:7.2f} ms  {layer}")
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(top)
        print("\n".join(out.getvalue().splitlines()[6:]))


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.profiling", description=__doc__)
    parser.add_argument("--workload", choices=[w.name for w in WORKLOADS], default="page")
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--top", type=int, default=25, help="functions listed by own time")
    args = parser.parse_args()
    use_bench_keys()
    if args.database == "postgres":
        url = PG_URL  # run `python -m bench.run --database postgres --keep-database` first
    else:
        url = sqlite_url(args.customers)
        if not (BENCH_DIR / f"crm-{args.customers}.db").exists():
            prepare("sqlite", args.customers)
    asyncio.run(_profile(url, args.workload, args.requests, args.top))


if __name__ == "__main__":
    main()
