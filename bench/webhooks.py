"""`python -m bench.webhooks`: webhook delivery throughput and commit-to-receipt latency.

In-process dispatcher (SQLite, PostgreSQL) and `crm worker` processes on PostgreSQL + Redis,
beside a bare httpx loop posting the same signed bodies to the same receiver (the ceiling).
Loopback only; see bench/README.md, "Webhook delivery".
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import sys
from pathlib import Path
from typing import Any

import asyncpg

from app.crypto import install_encryption
from app.migrations import upgrade_to_head
from app.settings import Settings
from app.wiring import install as install_wiring
from bench import report
from bench.dataset import BENCH_DIR, PG_ADMIN_DSN, postgres_reachable
from bench.servers import ROOT
from bench.webhooks_receiver import running_receiver
from bench.webhooks_runs import (
    REDIS_URL,
    Options,
    clear_arq_keys,
    crm_worker_command,
    delivery_run,
    run_async,
    running_workers,
)

PG_DATABASE = "crm_bench_hooks"
PG_URL = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{PG_DATABASE}"
SQLITE_PATH = BENCH_DIR / "webhooks.db"
TARGET_RATIO, TARGET_P50_MS, TARGET_P99_MS = 0.7, 50.0, 250.0
COLUMNS = (
    ("mode", "mode", 26, "<"),
    ("database", "db", 8, "<"),
    ("phase", "phase", 24, "<"),
    ("delivered", "events", 6, ">"),
    ("events_per_s", "ev/s", 7, ">.1f"),
    ("commits_per_s", "commit/s", 8, ">"),
    ("p50_ms", "p50 ms", 8, ">"),
    ("p99_ms", "p99 ms", 8, ">"),
    ("cpu_ms_per_event", "cpu ms/ev", 9, ">.3f"),
    ("bench_cores", "bench", 5, ">.2f"),
    ("receiver_cores", "recv", 5, ">.2f"),
    ("workers_cores", "wrk", 5, ">.2f"),
    ("pg_cores", "pg", 5, ">.2f"),
    ("other_cores", "other", 5, ">.2f"),
)


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.webhooks", description=__doc__)
    parser.add_argument("--events", type=int, default=2000, help="per backlog and burst phase")
    parser.add_argument("--rate", type=float, default=50.0, help="steady phase, commits/s")
    parser.add_argument("--steady-seconds", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=10, help="bare loop; = maxConcurrency")
    parser.add_argument("--timeout", type=float, default=90.0, help="per phase, for delivery")
    parser.add_argument(
        "--inprocess", choices=["sqlite", "postgres", "both", "none"], default="both"
    )
    parser.add_argument("--workers", default="1,2", help="arq runs: worker counts; '' for none")
    return parser.parse_args(argv)


def _configure_environment() -> None:
    """Development settings for this process and the workers it starts (they inherit them)."""
    os.environ.update(
        CRM_ENV="development",
        CRM_SECRET_KEY=secrets.token_urlsafe(32),
        WEBHOOK_ALLOW_HTTP="true",
        WEBHOOK_ALLOWED_NETWORKS='["127.0.0.0/8"]',
        LOG_LEVEL="WARNING",
    )
    for name in ("CRM_ENCRYPTION_KEYS", "CRM_HASH_KEY", "REDIS_URL", "DATABASE_URL"):
        os.environ.pop(name, None)
    install_encryption(Settings())
    install_wiring()


async def _postgres(create: bool) -> None:
    connection = await asyncpg.connect(PG_ADMIN_DSN, timeout=10)
    try:
        await connection.execute(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)")
        if create:
            await connection.execute(f"CREATE DATABASE {PG_DATABASE}")
    finally:
        await connection.close()


def fresh_database(backend: str) -> str:
    """A new, migrated, empty database; its URL."""
    if backend == "sqlite":
        BENCH_DIR.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{SQLITE_PATH}{suffix}").unlink(missing_ok=True)
        url = f"sqlite+aiosqlite:///{SQLITE_PATH}"
    else:
        asyncio.run(_postgres(create=True))
        url = PG_URL
    upgrade_to_head(url)
    return url


def _measure(args: argparse.Namespace, options: Options) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    pg = asyncio.run(postgres_reachable())
    backends = {"both": ["sqlite", "postgres"], "none": []}.get(args.inprocess, [args.inprocess])
    with running_receiver() as receiver:
        for index, backend in enumerate(b for b in backends if b == "sqlite" or pg):
            print(f"[in-process, {backend}]", file=sys.stderr)
            url = fresh_database(backend)
            found = run_async(delivery_run(url, receiver, options, with_bare=index == 0))
            rows += [{"mode": "in-process", "database": backend, **row} for row in found]
        counts = [int(n) for n in args.workers.split(",") if n.strip()]
        for count in counts if pg else []:
            mode = f"arq, {count} crm worker" + ("s" if count > 1 else "")
            print(f"[{mode}]", file=sys.stderr)
            url = fresh_database("postgres")
            asyncio.run(clear_arq_keys())
            with running_workers(count, url, crm_worker_command()) as pids:
                found = run_async(delivery_run(url, receiver, options, REDIS_URL, pids))
            rows += [{"mode": mode, "database": "postgres", **row} for row in found]
    if not pg:
        print("PostgreSQL not reachable at 127.0.0.1:5432: SQLite only", file=sys.stderr)
    else:
        asyncio.run(_postgres(create=False))
        asyncio.run(clear_arq_keys())
    return rows


def verdicts(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each setup's throughput against the bare loop and latency against the targets."""
    bare = next((r for r in rows if r["phase"] == "bare, one client"), None)
    found = []
    for row in rows:
        if row["mode"] == "bare httpx":
            continue
        entry = {"mode": row["mode"], "database": row["database"], "phase": row["phase"]}
        if bare and row["phase"] in ("backlog", "burst"):
            entry["ratio_to_bare"] = round(row["events_per_s"] / bare["events_per_s"], 3)
            entry["ratio_ok"] = entry["ratio_to_bare"] >= TARGET_RATIO
        if bare and row["phase"] == "backlog" and row.get("cpu_ms_per_event"):
            # The bare loop's CPU per event over the setup's: the ratio a CPU-bound run on an
            # otherwise idle core would show.
            cpu_ratio = bare["cpu_ms_per_event"] / row["cpu_ms_per_event"]
            entry["cpu_ratio_to_bare"] = round(cpu_ratio, 3)
        if row["phase"].startswith("steady") and row["p50_ms"] is not None:
            entry["latency_ok"] = row["p50_ms"] <= TARGET_P50_MS and row["p99_ms"] <= TARGET_P99_MS
        found.append(entry)
    return found


def table(rows: list[dict[str, Any]]) -> str:
    lines = [" ".join(f"{heading:{fmt[0]}{width}}" for _, heading, width, fmt in COLUMNS)]
    for row in rows:
        cells = []
        for key, _, width, fmt in COLUMNS:
            value = row.get(key)
            cells.append(format(value if value is not None else "-", f"{fmt[0]}{width}"))
            if value is not None and fmt[1:]:
                cells[-1] = format(value, f"{fmt[0]}{width}{fmt[1:]}")
        lines.append(" ".join(cells))
    lines.append("(bench/recv/wrk/pg/other: CPU cores used during the phase)")
    for verdict in verdicts(rows):
        parts = []
        if "ratio_to_bare" in verdict:
            parts.append(f"{verdict['ratio_to_bare']:.2f}x bare (target >= {TARGET_RATIO})")
        if "cpu_ratio_to_bare" in verdict:
            parts.append(
                f"CPU ratio {verdict['cpu_ratio_to_bare']:.2f} (bare's CPU per event over this)"
            )
        if "latency_ok" in verdict:
            parts.append(f"latency {'meets' if verdict['latency_ok'] else 'misses'} 50/250 ms")
        if parts:
            name = f"{verdict['mode']}, {verdict['database']}, {verdict['phase']}"
            lines.append(f"{name:<52} " + "; ".join(parts))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    args = _arguments(argv)
    _configure_environment()
    options = Options(args.events, args.rate, args.steady_seconds, args.concurrency, args.timeout)
    rows = _measure(args, options)
    payload = {
        "machine": report.machine(),
        "settings": {
            "events": args.events,
            "steady_rate": args.rate,
            "steady_seconds": args.steady_seconds,
            "concurrency": args.concurrency,
            "receiver": "asyncio protocol on uvloop, own process, keep-alive, checks signatures",
            "event": "customer.created, one endpoint subscribed to '*'",
        },
        "results": rows,
        "verdicts": verdicts(rows),
    }
    path = report.write(payload, "webhooks.json")
    print(table(rows))
    print(f"written to {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
