"""`python -m bench.run`: seed, serve, check, load and report (see bench/README.md)."""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import subprocess
import sys
import time
from dataclasses import asdict
from typing import Any

import httpx

from app.http.asgi import create_app
from app.http.auth import issue_token
from app.settings import Settings
from bench import cpu, report
from bench.dataset import Dataset, drop_postgres, postgres_reachable, prepare
from bench.inprocess import connects_under_load, count_statements
from bench.load import Job
from bench.raw_app import create_raw_app
from bench.servers import GRAPHQL_APP, RAW_APP, ROOT, Server, serve, server_env
from bench.workloads import WORKLOADS, Workload
from kernel.principal import Principal, PrincipalKind

# Cores other processes may use during a run before the figures are flagged as disturbed.
BUSY_MACHINE = 0.25
BENCH_PRINCIPAL = Principal(subject="bench", kind=PrincipalKind.OPERATOR, role="admin")


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--duration", type=float, default=10.0, help="measured seconds per run")
    parser.add_argument("--warmup", type=float, default=2.0, help="warm-up seconds per run")
    parser.add_argument("--connections", type=int, default=10)
    parser.add_argument(
        "--database",
        choices=["sqlite", "postgres", "both"],
        default="sqlite",
        help="both: PostgreSQL too when reachable at 127.0.0.1:5432 (user postgres)",
    )
    parser.add_argument(
        "--workload",
        choices=[w.name for w in WORKLOADS],
        action="append",
        help="repeatable; default: all",
    )
    parser.add_argument(
        "--quiet-wait",
        type=float,
        default=60.0,
        help="seconds to wait, before each run, for other processes to leave the CPUs idle",
    )
    parser.add_argument("--keep-database", action="store_true", help="keep crm_bench afterwards")
    return parser.parse_args(argv)


def _backends(choice: str) -> list[str]:
    if choice != "both":
        return [choice]
    if asyncio.run(postgres_reachable()):
        return ["sqlite", "postgres"]
    print("PostgreSQL not reachable at 127.0.0.1:5432; SQLite only", file=sys.stderr)
    return ["sqlite"]


async def _statements(
    settings: Settings, token: str, workloads: list[Workload], concurrency: int
) -> dict[tuple[str, str], dict[str, Any]]:
    """SQL per request for every workload on both servers, in-process; and pool churn."""
    graphql, raw = create_app(settings), create_raw_app(settings)
    counts: dict[tuple[str, str], dict[str, Any]] = {}
    try:
        for workload in workloads:
            body = workload.graphql_body()
            for name, app, path in (
                ("graphql", graphql, "/graphql"),
                ("raw", raw, workload.raw_path),
            ):
                count = await count_statements(app, token, path, body)
                counts[workload.name, name] = {
                    "sql": count.dml,
                    "sql_other": count.other,
                    "transactions": count.transactions,
                    "connects_per_request": await connects_under_load(
                        app, token, path, body, concurrency
                    ),
                }
    finally:
        await graphql.state.engine.dispose()
        await raw.state.engine.dispose()
    return counts


def _check_same_data(graphql: Server, raw: Server, token: str, workload: Workload) -> int:
    """Both servers must answer the workload with the same `data`; returns its size in bytes."""
    headers = {"authorization": f"Bearer {token}", "accept": "application/json"}
    body = workload.graphql_body()
    answers = []
    for url in (f"{graphql.base_url}/graphql", f"{raw.base_url}{workload.raw_path}"):
        response = httpx.post(url, json=body, headers=headers, timeout=30)
        decoded = response.json()
        if response.status_code != 200 or "errors" in decoded:
            raise SystemExit(f"{url} answered {response.status_code}: {response.text[:500]}")
        answers.append((decoded["data"], len(response.content)))
    (expected, size), (actual, _) = answers
    if expected != actual:
        raise SystemExit(
            f"raw endpoint differs from GraphQL for {workload.name}:\n"
            f"graphql: {json.dumps(expected)[:800]}\nraw:     {json.dumps(actual)[:800]}"
        )
    if not expected["customers"]["nodes"]:
        raise SystemExit(f"{workload.name} returned no customers; the comparison would be empty")
    return size


def _load(job: Job) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "bench.load"],
        input=json.dumps(asdict(job)),
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=job.warmup + job.duration + 60,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"load generator failed:\n{done.stderr}")
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def _measure(
    server: Server, url: str, body: dict[str, Any], token: str, args: Any
) -> dict[str, Any]:
    job = Job(
        url=url,
        body=body,
        headers={"authorization": f"Bearer {token}"},
        connections=args.connections,
        duration=args.duration,
        warmup=args.warmup,
    )
    background = cpu.wait_until_quiet(BUSY_MACHINE, args.quiet_wait)
    if background > BUSY_MACHINE:
        print(f"  warning: machine busy ({background} cores) before the run", file=sys.stderr)
    before, started = cpu.Sample.take(server.pid), time.perf_counter()
    result = _load(job)
    result.update(cpu.usage(before, cpu.Sample.take(server.pid), time.perf_counter() - started))
    result["busy_cores_before"] = background
    if result["errors"]:
        print(f"  {result['errors']} failed, first: {result['first_error']}", file=sys.stderr)
    if result["other_cores"] > BUSY_MACHINE:
        print(f"  warning: other processes used {result['other_cores']} cores", file=sys.stderr)
    return result


def bench_backend(dataset: Dataset, workloads: list[Workload], args: Any) -> list[dict[str, Any]]:
    """Every workload against both servers over one seeded database."""
    secret = secrets.token_urlsafe(32)
    settings = Settings(
        database_url=dataset.url, crm_env="production", crm_secret_key=secret, log_level="WARNING"
    )
    token = issue_token(settings, BENCH_PRINCIPAL, ttl_seconds=3600)
    statements = asyncio.run(_statements(settings, token, workloads, args.connections))
    env = server_env(dataset.url, secret)
    rows: list[dict[str, Any]] = []
    with serve(GRAPHQL_APP, env) as graphql, serve(RAW_APP, env) as raw:
        for workload in workloads:
            size = _check_same_data(graphql, raw, token, workload)
            print(
                f"[{dataset.backend}] {workload.name}: identical data ({size} bytes)",
                file=sys.stderr,
            )
            for name, server, path in (
                ("graphql", graphql, "/graphql"),
                ("raw", raw, workload.raw_path),
            ):
                print(f"[{dataset.backend}] {workload.name} / {name} ...", file=sys.stderr)
                result = _measure(
                    server, server.base_url + path, workload.graphql_body(), token, args
                )
                rows.append(
                    {
                        "database": dataset.backend,
                        "workload": workload.name,
                        "server": name,
                        **result,
                        **statements[workload.name, name],
                        "response_bytes": size,
                    }
                )
    return rows


def main(argv: list[str] | None = None) -> None:
    args = _arguments(argv)
    workloads = [w for w in WORKLOADS if not args.workload or w.name in args.workload]
    rows: list[dict[str, Any]] = []
    datasets: list[dict[str, Any]] = []
    for backend in _backends(args.database):
        print(f"[{backend}] seeding {args.customers} customers (seed {args.seed})", file=sys.stderr)
        dataset = prepare(backend, args.customers, args.seed)
        datasets.append({**asdict(dataset), "url": dataset.url.split("@")[-1]})
        try:
            rows += bench_backend(dataset, workloads, args)
        finally:
            if backend == "postgres" and not args.keep_database:
                asyncio.run(drop_postgres())
    payload = {
        "machine": report.machine(),
        "settings": {
            "customers": args.customers,
            "seed": args.seed,
            "duration_s": args.duration,
            "warmup_s": args.warmup,
            "connections": args.connections,
            "server": "uvicorn, 1 worker, uvloop + httptools",
            "client": "httpx, 1 process",
        },
        "workloads": {
            w.name: {"description": w.description, "query": w.query, "variables": w.variables}
            for w in workloads
        },
        "datasets": datasets,
        "results": rows,
        "ratios": report.ratios(rows),
    }
    path = report.write(payload)
    print(report.table(rows))
    print(f"written to {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
