"""The throwaway PostgreSQL database of the sales-report benchmark: create, fill, drop."""

from __future__ import annotations

import sys
import time

import asyncpg

from bench.dataset import PG_ADMIN_DSN
from bench.sales_data import STATEMENTS

PG_DATABASE = "crm_bench_sales"
PG_DSN = f"postgresql://postgres@127.0.0.1:5432/{PG_DATABASE}"
PG_URL = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{PG_DATABASE}"


async def recreate() -> None:
    connection = await asyncpg.connect(PG_ADMIN_DSN, timeout=10)
    try:
        await connection.execute(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)")
        await connection.execute(f"CREATE DATABASE {PG_DATABASE}")
    finally:
        await connection.close()


async def drop() -> None:
    connection = await asyncpg.connect(PG_ADMIN_DSN, timeout=10)
    try:
        await connection.execute(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)")
    finally:
        await connection.close()


async def fill(deals: int) -> dict[str, float]:
    """Generate the data (into a migrated database), then VACUUM ANALYZE; seconds per step."""
    connection = await asyncpg.connect(PG_DSN, timeout=10, command_timeout=3600)
    seconds: dict[str, float] = {}
    try:
        # Bulk load: foreign keys are known good here, skip their per-row triggers.
        await connection.execute("SET session_replication_role = replica")
        for statement in STATEMENTS:
            started = time.perf_counter()
            await connection.execute(statement.replace(":deals", str(int(deals))))
            step = " ".join(statement.split()[:3])
            seconds[step] = round(time.perf_counter() - started, 1)
            print(f"  {step}: {seconds[step]} s", file=sys.stderr)
        started = time.perf_counter()
        await connection.execute("VACUUM ANALYZE")
        seconds["VACUUM ANALYZE"] = round(time.perf_counter() - started, 1)
    finally:
        await connection.close()
    return seconds
