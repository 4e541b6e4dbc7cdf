"""`python -m bench.peer`: this API beside PostGraphile 4 and the raw endpoint on PostgreSQL.

One seeded database (`crm_bench`), three servers side by side (uvicorn + the API, Node.js +
PostGraphile, uvicorn + the raw endpoint), rounds alternated (API, PostGraphile, raw; per
workload; N rounds), medians. See bench/README.md, "The peer: PostGraphile 4".
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from app.http.auth import issue_token
from app.settings import Settings
from bench import cpu, report
from bench.dataset import (
    BENCH_DIR,
    PG_DATABASE,
    PG_URL,
    Dataset,
    drop_postgres,
    postgres_reachable,
    prepare,
    use_bench_keys,
)
from bench.load import Job
from bench.run import BENCH_PRINCIPAL, BUSY_MACHINE, _load
from bench.servers import GRAPHQL_APP, HOST, RAW_APP, ROOT, Server, free_port, serve, server_env
from bench.servers import _wait_ready as wait_ready
from bench.workloads import CREATED_NAME, PEER_WORKLOADS, PeerWorkload

PEER_DIR = Path(__file__).resolve().parent / "postgraphile"
SERVER_JS = PEER_DIR / "server.js"
PG_DSN = PG_URL.replace("postgresql+asyncpg://", "postgresql://")
TOKEN_TTL = 6 * 3600
# Column defaults PostGraphile's createCustomer needs (the API sets these in Python); they do
# not change what the API writes. Only on the throwaway benchmark database.
PEER_DEFAULTS = (
    "ALTER TABLE customers ALTER COLUMN id SET DEFAULT gen_random_uuid(),"
    " ALTER COLUMN created_at SET DEFAULT now(), ALTER COLUMN updated_at SET DEFAULT now(),"
    " ALTER COLUMN version SET DEFAULT 1, ALTER COLUMN tags SET DEFAULT '[]'"
)
SERVERS = ("api", "postgraphile", "raw")


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.peer", description=__doc__)
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--duration", type=float, default=10.0, help="measured seconds per run")
    parser.add_argument("--warmup", type=float, default=2.0, help="warm-up seconds per run")
    parser.add_argument("--connections", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3, help="alternated rounds; medians")
    parser.add_argument(
        "--workload",
        choices=[w.name for w in PEER_WORKLOADS],
        action="append",
        help="repeatable; default: all",
    )
    parser.add_argument(
        "--quiet-wait",
        type=float,
        default=60.0,
        help="seconds to wait, before each run, for other processes to leave the CPUs idle",
    )
    parser.add_argument(
        "--reuse-database",
        action="store_true",
        help=f"use an existing {PG_DATABASE} with --customers seeded customers instead of seeding",
    )
    parser.add_argument("--keep-database", action="store_true", help="keep crm_bench afterwards")
    return parser.parse_args(argv)


def ensure_installed() -> None:
    """`npm ci` the pinned PostGraphile into bench/postgraphile/node_modules once."""
    if (PEER_DIR / "node_modules" / "postgraphile" / "package.json").exists():
        return
    print("installing PostGraphile (npm ci --prefix bench/postgraphile)", file=sys.stderr)
    done = subprocess.run(
        ["npm", "ci", "--prefix", str(PEER_DIR), "--no-audit", "--no-fund"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"npm ci failed:\n{done.stderr[-2000:]}")


async def _execute(*statements: str, args: tuple[Any, ...] = ()) -> None:
    connection = await asyncpg.connect(PG_DSN, timeout=10)
    try:
        for statement in statements:
            await connection.execute(statement, *args)
    finally:
        await connection.close()


async def _seeded_customers() -> int | None:
    try:
        connection = await asyncpg.connect(PG_DSN, timeout=10)
    except (OSError, asyncpg.PostgresError):
        return None
    try:
        count = await connection.fetchval(
            "SELECT count(*) FROM customers WHERE name <> $1", CREATED_NAME
        )
    except asyncpg.PostgresError:
        return None
    finally:
        await connection.close()
    return int(count)


async def _remove_created() -> None:
    """Drop the rows createCustomer added, so later page rounds count the seeded rows only."""
    connection = await asyncpg.connect(PG_DSN, timeout=10)
    try:
        await connection.execute("DELETE FROM customers WHERE name = $1", CREATED_NAME)
        await connection.execute("VACUUM ANALYZE customers")
    finally:
        await connection.close()


def _dataset(args: argparse.Namespace) -> Dataset:
    if args.reuse_database:
        found = asyncio.run(_seeded_customers())
        if found is not None and found == args.customers:
            use_bench_keys()
            print(f"reusing {PG_DATABASE} ({found} customers)", file=sys.stderr)
            return Dataset("postgres", PG_URL, {"customers": found}, 0.0)
        print(f"{PG_DATABASE}: {found} customers, not {args.customers}", file=sys.stderr)
    print(f"seeding {args.customers} customers (seed {args.seed})", file=sys.stderr)
    return prepare("postgres", args.customers, args.seed)


@contextmanager
def serve_postgraphile(secret: str, issuer: str, timeout: float = 180.0) -> Iterator[Server]:
    """PostGraphile (bench/postgraphile/server.js) in one Node.js process until the block exits."""
    port = free_port()
    env = {
        **os.environ,
        "NODE_ENV": "production",
        "POSTGRAPHILE_JWT_SECRET": secret,
        "POSTGRAPHILE_JWT_ISSUER": issuer,
    }
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    # Introspection warnings (unindexed foreign keys) go to the log, not the report.
    with (BENCH_DIR / "postgraphile.log").open("wb") as log:
        command = ["node", str(SERVER_JS), str(port), PG_DSN]
        process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=log, stderr=log)
        base_url = f"http://{HOST}:{port}"
        try:
            wait_ready(process, base_url, timeout)
            yield Server(base_url, process.pid)
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _post(url: str, body: dict[str, Any], token: str) -> dict[str, Any]:
    headers = {"authorization": f"Bearer {token}", "accept": "application/json"}
    response = httpx.post(url, json=body, headers=headers, timeout=60)
    decoded = response.json()
    if response.status_code != 200 or "errors" in decoded:
        raise SystemExit(f"{url} answered {response.status_code}: {response.text[:800]}")
    return decoded["data"]  # type: ignore[no-any-return]


def _upper(value: Any) -> Any:
    return value.upper() if isinstance(value, str) else value


def _customer(node: dict[str, Any]) -> list[Any]:
    """What must be equal across servers: everything but ids and cursors, enums uppercased."""
    summary: list[Any] = [
        node["name"],
        node.get("domain"),
        node.get("industry"),
        _upper(node.get("lifecycleStage")),
    ]
    if "contacts" in node:
        summary.append(
            [(c["firstName"], c["lastName"], c["email"]) for c in node["contacts"]["nodes"]]
        )
    if "deals" in node:
        summary.append(
            [
                (
                    d["name"],
                    f"{Decimal(d['amount']):.2f}",
                    d["currency"],
                    d["stage"] and (d["stage"]["name"], d["stage"]["probability"]),
                    d["stage"] and _upper(d["stage"]["kind"]),
                )
                for d in node["deals"]["nodes"]
            ]
        )
    if "tickets" in node:
        summary.append(
            [
                (t["subject"], _upper(t["status"]), _upper(t["priority"]))
                for t in node["tickets"]["nodes"]
            ]
        )
    return summary


def summarize(data: dict[str, Any]) -> dict[str, Any]:
    """Row counts and the comparable content of one answer (a page or a createCustomer)."""
    if "createCustomer" in data:
        created = data["createCustomer"]["customer"]
        if not created:
            raise SystemExit(f"createCustomer returned no customer: {data}")
        return {"counts": {"customers": 1}, "content": _customer(created)}
    page = data["customers"]
    nodes = page["nodes"]
    counts = {"customers": len(nodes)}
    for relation in ("contacts", "deals", "tickets"):
        if nodes and relation in nodes[0]:
            counts[relation] = sum(len(node[relation]["nodes"]) for node in nodes)
    content = {
        "totalCount": page.get("totalCount"),
        "hasNextPage": page.get("pageInfo", {}).get("hasNextPage"),
        "customers": [_customer(node) for node in nodes],
    }
    return {"counts": counts, "content": content}


def check_same_rows(
    workload: PeerWorkload, urls: dict[str, str], token: str
) -> dict[str, dict[str, int]]:
    """Every server returns the same rows (names, order, counts) for ``workload``."""
    bodies = {
        "api": workload.api.graphql_body(),
        "postgraphile": workload.postgraphile_body(),
        "raw": workload.api.graphql_body(),
    }
    summaries = {name: summarize(_post(url, bodies[name], token)) for name, url in urls.items()}
    expected = summaries["api"]
    if not expected["counts"]["customers"]:
        raise SystemExit(f"{workload.name} returned no customers; the comparison would be empty")
    for name, summary in summaries.items():
        if summary != expected:
            raise SystemExit(
                f"{name} differs from the API for {workload.name}:\n"
                f"api:  {json.dumps(expected)[:1000]}\n{name}: {json.dumps(summary)[:1000]}"
            )
    return {name: summary["counts"] for name, summary in summaries.items()}


def measure(pid: int, url: str, body: dict[str, Any], token: str, args: Any) -> dict[str, Any]:
    """One closed-loop run; CPU of the server and PostgreSQL over the measured window only."""
    headers = {"authorization": f"Bearer {token}"}
    background = cpu.wait_until_quiet(BUSY_MACHINE, args.quiet_wait)
    if background > BUSY_MACHINE:
        print(f"  warning: machine busy ({background} cores) before the run", file=sys.stderr)
    if args.warmup > 0:  # its own process, so that the measured process's window is all load
        _load(Job(url, body, headers, args.connections, duration=args.warmup, warmup=0))
    job = Job(url, body, headers, args.connections, duration=args.duration, warmup=0)
    before, started = cpu.Sample.take(pid), time.perf_counter()
    result = _load(job)
    after, wall = cpu.Sample.take(pid), time.perf_counter() - started
    result.update(cpu.usage(before, after, wall))
    requests = max(1, result["requests"])
    server_ms = (after.server - before.server) * 1000 / requests
    db_ms = (after.database - before.database) * 1000 / requests
    result.update(
        server_ms_per_request=round(server_ms, 3),
        db_ms_per_request=round(db_ms, 3),
        total_ms_per_request=round(server_ms + db_ms, 3),
        busy_cores_before=background,
    )
    if result["errors"]:
        print(f"  {result['errors']} failed, first: {result['first_error']}", file=sys.stderr)
    if result["other_cores"] > BUSY_MACHINE:
        print(f"  warning: other processes used {result['other_cores']} cores", file=sys.stderr)
    return result


def run_rounds(
    dataset: Dataset, workloads: list[PeerWorkload], args: Any
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    secret = secrets.token_urlsafe(32)
    settings = Settings(
        database_url=dataset.url, crm_env="production", crm_secret_key=secret, log_level="WARNING"
    )
    token = issue_token(settings, BENCH_PRINCIPAL, ttl_seconds=TOKEN_TTL)
    env = server_env(dataset.url, secret)  # the API inherits GRAPHQL_EXECUTOR, if set
    rows: list[dict[str, Any]] = []
    counts: dict[str, Any] = {}
    with (
        serve(GRAPHQL_APP, env) as api,
        serve_postgraphile(secret, settings.crm_token_issuer) as peer,
        serve(RAW_APP, env) as raw,
    ):
        servers = {"api": api, "postgraphile": peer, "raw": raw}

        def urls(workload: PeerWorkload) -> dict[str, str]:
            found = {"api": f"{api.base_url}/graphql", "postgraphile": f"{peer.base_url}/graphql"}
            if workload.has_raw:
                found["raw"] = raw.base_url + workload.api.raw_path
            return found

        for workload in workloads:
            counts[workload.name] = check_same_rows(workload, urls(workload), token)
            print(f"{workload.name}: same rows {counts[workload.name]['api']}", file=sys.stderr)
        asyncio.run(_remove_created())
        for number in range(1, args.rounds + 1):
            for workload in workloads:
                for name, url in urls(workload).items():
                    print(f"round {number}: {workload.name} / {name} ...", file=sys.stderr)
                    body = (
                        workload.postgraphile_body()
                        if name == "postgraphile"
                        else workload.api.graphql_body()
                    )
                    result = measure(servers[name].pid, url, body, token, args)
                    rows.append(
                        {"round": number, "workload": workload.name, "server": name, **result}
                    )
                if workload.name == "create":
                    asyncio.run(_remove_created())
    return rows, counts


MEDIAN_KEYS = (
    "rps",
    "p50_ms",
    "p99_ms",
    "server_ms_per_request",
    "db_ms_per_request",
    "total_ms_per_request",
    "server_cores",
    "db_cores",
    "client_cores",
    "other_cores",
)


def medians(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per workload and server: the median of every figure over the rounds, and the rps range."""
    found: list[dict[str, Any]] = []
    keys = list(dict.fromkeys((row["workload"], row["server"]) for row in rows))
    for workload, server in keys:
        runs = [row for row in rows if (row["workload"], row["server"]) == (workload, server)]
        summary: dict[str, Any] = {"workload": workload, "server": server, "rounds": len(runs)}
        for key in MEDIAN_KEYS:
            summary[key] = round(statistics.median(run[key] for run in runs), 3)
        summary["rps_min"] = min(run["rps"] for run in runs)
        summary["rps_max"] = max(run["rps"] for run in runs)
        summary["errors"] = sum(run["errors"] for run in runs)
        found.append(summary)
    return found


def comparisons(summary: list[dict[str, Any]]) -> list[str]:
    """The issue's ratios: the API against PostGraphile, and the page of 100 against 50."""
    by_key = {(row["workload"], row["server"]): row for row in summary}
    lines = []
    for workload in dict.fromkeys(row["workload"] for row in summary):
        ours, peer = by_key.get((workload, "api")), by_key.get((workload, "postgraphile"))
        if ours and peer and peer["rps"] and ours["total_ms_per_request"]:
            lines.append(
                f"{workload:<8} API/PostGraphile req/s {ours['rps'] / peer['rps']:.2f}, "
                f"server+pg CPU per request {ours['total_ms_per_request']:.1f} vs "
                f"{peer['total_ms_per_request']:.1f} ms"
            )
    for server in SERVERS:
        small, large = by_key.get(("page", server)), by_key.get(("page100", server))
        if small and large and small["total_ms_per_request"]:
            ratio = large["total_ms_per_request"] / small["total_ms_per_request"]
            lines.append(f"{server:<12} CPU per request, page of 100 / page of 50: {ratio:.2f}")
    return lines


COLUMNS = (
    ("workload", "workload", 8, "<"),
    ("server", "server", 12, "<"),
    ("rps", "req/s", 8, ">.1f"),
    ("p50_ms", "p50 ms", 8, ">.1f"),
    ("p99_ms", "p99 ms", 8, ">.1f"),
    ("server_ms_per_request", "srv ms/r", 8, ">.2f"),
    ("db_ms_per_request", "pg ms/r", 8, ">.2f"),
    ("total_ms_per_request", "sum ms/r", 8, ">.2f"),
    ("other_cores", "other", 5, ">.2f"),
    ("errors", "errors", 6, ">"),
)


def table(summary: list[dict[str, Any]]) -> str:
    lines = [" ".join(f"{heading:{fmt[0]}{width}}" for _, heading, width, fmt in COLUMNS)]
    lines += [
        " ".join(format(row[key], f"{fmt[0]}{width}{fmt[1:]}") for key, _, width, fmt in COLUMNS)
        for row in summary
    ]
    lines.append(
        "(medians over the rounds; ms/r: CPU milliseconds per request of the server process, of"
        " all postgres processes, and their sum; other: cores used by everything else)"
    )
    return "\n".join([*lines, *comparisons(summary)])


def _versions() -> dict[str, str]:
    lock = json.loads((PEER_DIR / "package-lock.json").read_text())
    packages = lock.get("packages", {})
    node = subprocess.run(["node", "--version"], capture_output=True, text=True, check=False)
    return {
        "node": node.stdout.strip(),
        **{
            name: packages.get(f"node_modules/{name}", {}).get("version", "?")
            for name in ("postgraphile", "@graphile-contrib/pg-simplify-inflector", "pg")
        },
    }


def main(argv: list[str] | None = None) -> None:
    args = _arguments(argv)
    if shutil.which("node") is None or shutil.which("npm") is None:
        print("bench.peer: Node.js/npm not found; skipped", file=sys.stderr)
        return
    if not asyncio.run(postgres_reachable()):
        print("bench.peer: PostgreSQL not reachable at 127.0.0.1:5432; skipped", file=sys.stderr)
        return
    ensure_installed()
    workloads = [w for w in PEER_WORKLOADS if not args.workload or w.name in args.workload]
    dataset = _dataset(args)
    try:
        asyncio.run(_execute(PEER_DEFAULTS))
        rows, counts = run_rounds(dataset, workloads, args)
    finally:
        if not args.keep_database:
            asyncio.run(drop_postgres())
    summary = medians(rows)
    payload = {
        "machine": report.machine(),
        "settings": {
            "customers": args.customers,
            "seed": args.seed,
            "duration_s": args.duration,
            "warmup_s": args.warmup,
            "connections": args.connections,
            "rounds": args.rounds,
            "graphql_executor": os.environ.get("GRAPHQL_EXECUTOR"),
            "servers": {
                "api": "uvicorn, 1 worker, uvloop + httptools (app.http.asgi:create_app)",
                "postgraphile": "node bench/postgraphile/server.js, 1 process",
                "raw": "uvicorn, 1 worker, uvloop + httptools (bench.raw_app)",
            },
            "peer": _versions(),
            "client": "httpx, 1 process",
        },
        "workloads": {
            w.name: {
                "description": w.description,
                "api": w.api.graphql_body(),
                "postgraphile": w.postgraphile_body(),
                "raw": w.api.raw_path if w.has_raw else None,
            }
            for w in workloads
        },
        "dataset": {"backend": dataset.backend, "rows": dataset.rows, "seconds": dataset.seconds},
        "row_counts": counts,
        "results": rows,
        "medians": summary,
        "comparisons": comparisons(summary),
    }
    path = report.write(payload, "peer.json")
    print(table(summary))
    print(f"written to {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
