"""A fresh, migrated and seeded benchmark database on SQLite or PostgreSQL."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os
import time
from dataclasses import dataclass
from pathlib import Path

import asyncpg
from sqlalchemy import text

from app.crypto import install_encryption
from app.db import create_engine
from app.migrations import upgrade_to_head
from app.seed import seed
from app.settings import Settings
from app.wiring import install as install_wiring

BENCH_DIR = Path(__file__).resolve().parent.parent / "var" / "bench"
PG_ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"
PG_DATABASE = "crm_bench"
PG_URL = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{PG_DATABASE}"
# Fixed keys for the throwaway benchmark data: the production-mode servers need explicit ones.
BENCH_ENCRYPTION_KEY = base64.urlsafe_b64encode(hashlib.sha256(b"crm-bench").digest()).decode()
BENCH_HASH_KEY = hashlib.sha256(b"crm-bench-hash").hexdigest()


def use_bench_keys() -> None:
    """Encryption keys for this process and the servers it starts (they inherit the env)."""
    os.environ.setdefault("CRM_ENCRYPTION_KEYS", BENCH_ENCRYPTION_KEY)
    os.environ.setdefault("CRM_HASH_KEY", BENCH_HASH_KEY)
    install_encryption(Settings())
    install_wiring()


@dataclass(frozen=True)
class Dataset:
    """A seeded database: its backend, SQLAlchemy URL, row counts and how long seeding took."""

    backend: str
    url: str
    rows: dict[str, int]
    seconds: float


def sqlite_url(customers: int) -> str:
    return f"sqlite+aiosqlite:///{BENCH_DIR / f'crm-{customers}.db'}"


async def postgres_reachable() -> bool:
    try:
        connection = await asyncpg.connect(PG_ADMIN_DSN, timeout=3)
    except (OSError, asyncpg.PostgresError, TimeoutError):
        return False
    await connection.close()
    return True


async def _recreate_postgres() -> None:
    connection = await asyncpg.connect(PG_ADMIN_DSN, timeout=10)
    try:
        await connection.execute(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)")
        await connection.execute(f"CREATE DATABASE {PG_DATABASE}")
    finally:
        await connection.close()


async def drop_postgres() -> None:
    """Remove the throwaway PostgreSQL database."""
    connection = await asyncpg.connect(PG_ADMIN_DSN, timeout=10)
    try:
        await connection.execute(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)")
    finally:
        await connection.close()


def _remove_sqlite(customers: int) -> None:
    base = BENCH_DIR / f"crm-{customers}.db"
    for path in (base, base.with_name(base.name + "-wal"), base.with_name(base.name + "-shm")):
        path.unlink(missing_ok=True)


async def _seed_and_analyze(url: str, customers: int, seed_value: int) -> dict[str, int]:
    engine = create_engine(url)
    try:
        rows = await seed(engine, customers=customers, seed_value=seed_value)
        # Planner statistics, as autovacuum (PostgreSQL) or a maintenance job (SQLite) would.
        async with engine.begin() as connection:
            await connection.execute(text("ANALYZE"))
    finally:
        await engine.dispose()
    return rows


def prepare(backend: str, customers: int, seed_value: int = 42) -> Dataset:
    """Create a fresh database for ``backend`` ("sqlite" or "postgres"), migrate and seed it."""
    started = time.perf_counter()
    use_bench_keys()
    if backend == "sqlite":
        BENCH_DIR.mkdir(parents=True, exist_ok=True)
        _remove_sqlite(customers)
        url = sqlite_url(customers)
    elif backend == "postgres":
        asyncio.run(_recreate_postgres())
        url = PG_URL
    else:
        raise ValueError(f"unknown backend {backend!r}")
    upgrade_to_head(url)
    rows = asyncio.run(_seed_and_analyze(url, customers, seed_value))
    return Dataset(backend, url, rows, time.perf_counter() - started)
