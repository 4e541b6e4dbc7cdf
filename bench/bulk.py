"""`python -m bench.bulk`: importing customers from CSV (`crm import`'s engine) beside raw bulk
inserts of the same rows through the same driver: `executemany` of an INSERT, and on PostgreSQL
also COPY (see bench/README.md).

Each run is a subprocess on a fresh, migrated database; it reports its rows/s and its peak RSS
(`resource.getrusage(RUSAGE_SELF).ru_maxrss`)."""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import resource
import statistics
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiosqlite
import asyncpg

from app.migrations import upgrade_to_head
from bench.dataset import BENCH_DIR, postgres_reachable, use_bench_keys
from models.bulk import FileFormat

PG_ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"
PG_DATABASE = "crm_bulk_bench"
PG_URL = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{PG_DATABASE}"
BATCH = 1000
INDUSTRIES = ("software", "retail", "manufacturing", "logistics", "health")
STAGES = ("lead", "prospect", "customer", "churned")
COUNTRIES = ("DE", "FR", "US", "GB", "NL")
# The customers columns the raw insert writes, in order.
RAW_COLUMNS = (
    "id", "created_at", "updated_at", "version", "deleted_at", "name", "domain", "industry",
    "employees", "lifecycle_stage", "owner_id", "phone", "street", "city", "postal_code",
    "country", "tags", "credit_status", "tier", "external_id",
)  # fmt: skip


def write_csv(path: Path, rows: int) -> Path:
    """Customers with the fields a CRM export usually has."""
    if path.exists():
        return path
    partial = path.with_suffix(".partial")
    with partial.open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(
            ["Company", "External ID", "Website", "Industry", "Employees", "Stage", "City",
             "Country", "Tags"]
        )  # fmt: skip
        for n in range(rows):
            writer.writerow(
                [
                    f"Customer {n}",
                    f"EXT-{n}",
                    f"customer{n}.example.com",
                    INDUSTRIES[n % 5],
                    n % 5000,
                    STAGES[n % 4],
                    f"City {n % 97}",
                    COUNTRIES[n % 5],
                    "vip;eu" if n % 3 == 0 else "",
                ]
            )
    partial.rename(path)
    return path


async def _recreate_postgres() -> None:
    connection = await asyncpg.connect(PG_ADMIN_DSN, timeout=10)
    try:
        await connection.execute(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)")
        await connection.execute(f"CREATE DATABASE {PG_DATABASE}")
    finally:
        await connection.close()


async def _drop_postgres() -> None:
    connection = await asyncpg.connect(PG_ADMIN_DSN, timeout=10)
    try:
        await connection.execute(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)")
    finally:
        await connection.close()


def fresh_database(backend: str) -> str:
    """A new, migrated, empty database; its URL."""
    if backend == "postgres":
        asyncio.run(_recreate_postgres())
        url = PG_URL
    else:
        path = BENCH_DIR / "bulk.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        url = f"sqlite+aiosqlite:///{path}"
    upgrade_to_head(url)
    return url


# --- the child processes -------------------------------------------------------------------


async def child_import(url: str, path: Path) -> dict[str, Any]:
    from app.db import create_engine, create_session_factory
    from app.wiring import install as install_wiring
    from kernel.principal import Principal, PrincipalKind
    from kernel.unit_of_work import unit_of_work
    from resolvers.bulk.imports import run_import
    from resolvers.bulk.jobs import claim_import, create_import_job, import_options

    use_bench_keys()
    engine = create_engine(url)
    factory = create_session_factory(engine)
    install_wiring()
    principal = Principal(subject="bench", kind=PrincipalKind.OPERATOR, role="admin")
    started = time.perf_counter()
    async with unit_of_work(factory) as session:
        job = await create_import_job(
            session,
            principal,
            "customers",
            path,
            path.name,
            FileFormat.CSV,
            import_options(),
        )
    async with factory() as session:
        await claim_import(session, job.id)
        await session.commit()
    done = await run_import(factory, job.id, BENCH_DIR / "files", BATCH)
    seconds = time.perf_counter() - started
    await engine.dispose()
    assert done.created_count == done.total_rows, done
    assert done.rejected_count == 0, done
    return {"rows": done.created_count, "seconds": seconds}


def _raw_row(record: list[str], now: Any, postgres: bool) -> tuple[Any, ...]:
    company, external_id, domain, industry, employees, stage, city, country, tags = record
    tag_list = json.dumps(tags.split(";") if tags else [])
    row_id = uuid.uuid4()
    return (
        row_id if postgres else row_id.hex, now, now, 1, None, company, domain, industry,
        int(employees), stage, None, None, None, city, None, country, tag_list, None, None,
        external_id,
    )  # fmt: skip


def _batches(path: Path, postgres: bool) -> Any:
    now: Any = datetime.now(UTC)
    if not postgres:
        now = now.replace(tzinfo=None).isoformat(" ")
    with path.open(newline="") as file:
        reader = csv.reader(file)
        next(reader)
        batch: list[tuple[Any, ...]] = []
        for record in reader:
            batch.append(_raw_row(record, now, postgres))
            if len(batch) == BATCH:
                yield batch
                batch = []
        if batch:
            yield batch


async def child_raw(url: str, path: Path) -> dict[str, Any]:
    """Prepared tuples, one transaction per batch of 1,000, `executemany` of one INSERT; only
    the inserts are timed."""
    postgres = url.startswith("postgresql")
    columns = ", ".join(RAW_COLUMNS)
    rows, seconds = 0, 0.0
    if postgres:
        connection = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
        marks = ", ".join(f"${n}" for n in range(1, len(RAW_COLUMNS) + 1))
        sql = f"INSERT INTO customers ({columns}) VALUES ({marks})"
        for batch in _batches(path, postgres):
            started = time.perf_counter()
            async with connection.transaction():
                await connection.executemany(sql, batch)
            seconds += time.perf_counter() - started
            rows += len(batch)
        await connection.close()
    else:
        database = url.split("///", 1)[1]
        async with aiosqlite.connect(database) as connection:
            for pragma in ("journal_mode = WAL", "synchronous = NORMAL", "foreign_keys = ON"):
                await connection.execute(f"PRAGMA {pragma}")
            marks = ", ".join("?" for _ in RAW_COLUMNS)
            sql = f"INSERT INTO customers ({columns}) VALUES ({marks})"
            for batch in _batches(path, postgres):
                started = time.perf_counter()
                await connection.executemany(sql, batch)
                await connection.commit()
                seconds += time.perf_counter() - started
                rows += len(batch)
    return {"rows": rows, "seconds": seconds}


async def child_copy(url: str, path: Path) -> dict[str, Any]:
    """PostgreSQL's fastest bulk path: the same tuples by `COPY`, one transaction per batch."""
    connection = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
    rows, seconds = 0, 0.0
    for batch in _batches(path, postgres=True):
        started = time.perf_counter()
        async with connection.transaction():
            await connection.copy_records_to_table("customers", records=batch, columns=RAW_COLUMNS)
        seconds += time.perf_counter() - started
        rows += len(batch)
    await connection.close()
    return {"rows": rows, "seconds": seconds}


_CHILDREN = {"import": child_import, "raw": child_raw, "copy": child_copy}


def _child(kind: str, url: str, path: Path) -> None:
    result = asyncio.run(_CHILDREN[kind](url, path))
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


# --- the parent ----------------------------------------------------------------------------


def measure(kind: str, backend: str, path: Path) -> dict[str, Any]:
    url = fresh_database(backend)
    output = subprocess.run(
        [sys.executable, "-m", "bench.bulk", "--child", kind, "--url", url, "--file", str(path)],
        check=True,
        capture_output=True,
        text=True,
        env=os.environ.copy(),
    ).stdout
    result: dict[str, Any] = json.loads(output.strip().splitlines()[-1])
    result["rows_per_second"] = result["rows"] / result["seconds"]
    return result


def _median_run(runs: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "rows_per_second": statistics.median(r["rows_per_second"] for r in runs),
        "peak_rss_mb": max(r["peak_rss_mb"] for r in runs),
    }


def _row(backend: str, rows: int, runs: list[dict[str, dict[str, Any]]]) -> str:
    def rate(kind: str) -> str:
        return f"{_median_run([r[kind] for r in runs])['rows_per_second']:,.0f}"

    def ratio(kind: str) -> str:
        ratios = [r["import"]["rows_per_second"] / r[kind]["rows_per_second"] for r in runs]
        return f"{statistics.median(ratios):.2f}"

    copy = "copy" in runs[0]
    peak = {kind: _median_run([r[kind] for r in runs])["peak_rss_mb"] for kind in ("import", "raw")}
    return (
        f"| {backend} | {rows:,} | {rate('import')} | {rate('raw')} | {ratio('raw')} | "
        f"{rate('copy') if copy else '-'} | {ratio('copy') if copy else '-'} | "
        f"{peak['import']:.0f} MB | {peak['raw']:.0f} MB |"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.bulk", description=__doc__)
    parser.add_argument("--rows", type=int, action="append", help="repeatable; default 100,000")
    parser.add_argument("--database", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument(
        "--repeat", type=int, default=1, help="runs per size and database; medians reported"
    )
    parser.add_argument("--child", choices=sorted(_CHILDREN), help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--file", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _child(args.child, args.url, args.file)
        return
    use_bench_keys()
    backends = ["sqlite", "postgres"] if args.database == "both" else [args.database]
    if "postgres" in backends and not asyncio.run(postgres_reachable()):
        print("PostgreSQL not reachable at 127.0.0.1:5432: SQLite only", file=sys.stderr)
        backends.remove("postgres")
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    print(
        "| database | rows | import rows/s | raw INSERT rows/s | ratio | raw COPY rows/s "
        "| ratio to COPY | import peak RSS | raw peak RSS |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    try:
        for rows in args.rows or [100_000]:
            path = write_csv(BENCH_DIR / f"customers-{rows}.csv", rows)
            for backend in backends:
                kinds = ["import", "raw"] + (["copy"] if backend == "postgres" else [])
                # Alternated, so that a noisy spell hits all; medians of the runs.
                runs = [
                    {kind: measure(kind, backend, path) for kind in kinds}
                    for _ in range(args.repeat)
                ]
                print(_row(backend, rows, runs), flush=True)
    finally:
        if "postgres" in backends:
            asyncio.run(_drop_postgres())


if __name__ == "__main__":
    main()
