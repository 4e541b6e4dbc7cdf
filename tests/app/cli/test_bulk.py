"""`crm import` and `crm export`: files in and out, and an import killed half-way resumed."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.settings import Settings
from kernel.tables import table_of
from models import Customer
from models.bulk import ImportJob, JobStatus

CRM = Path(sys.executable).parent / "crm"


def customers_csv(path: Path, rows: int) -> Path:
    with path.open("w") as file:
        file.write("name,external_id,employees,country\n")
        for n in range(1, rows + 1):
            file.write(f"Customer {n},C{n},{n % 500},DE\n")
    return path


async def test_import_prints_counts_and_the_error_report(
    run: Any, tmp_path: Path, settings: Settings, monkeypatch: Any
) -> None:
    monkeypatch.setattr(settings, "files_dir", tmp_path / "files")
    path = tmp_path / "c.csv"
    path.write_text("name,external_id\nAcme,A1\n,A2\n")

    output = await run("import", "customers", str(path))

    assert "created 1, updated 0, unchanged 0, rejected 1" in output
    assert "error report: " in output


async def test_export_writes_filtered_rows_as_json_lines(
    run: Any, tmp_path: Path, make: Any
) -> None:
    await make.customer(name="Acme")
    await make.customer(name="Beta")
    target = tmp_path / "out.jsonl"

    await run(
        "export",
        "customers",
        "--format",
        "jsonl",
        "--output",
        str(target),
        "--filter",
        json.dumps({"name": {"startsWith": "ac"}}),
    )

    rows = [json.loads(line) for line in target.read_text().splitlines()]
    assert [row["name"] for row in rows] == ["Acme"]


async def _job(factory: async_sessionmaker[AsyncSession]) -> ImportJob | None:
    async with factory() as session:
        return (await session.execute(select(ImportJob))).scalar_one_or_none()


async def test_import_killed_half_way_resumes_without_duplicates_or_gaps(
    run: Any,
    tmp_path: Path,
    settings: Settings,
    session_factory: async_sessionmaker[AsyncSession],
    monkeypatch: Any,
) -> None:
    rows = 30_000
    path = customers_csv(tmp_path / "big.csv", rows)
    files = tmp_path / "files"
    env = {
        **os.environ,
        "DATABASE_URL": settings.database_url,
        "CRM_ENV": "development",
        "FILES_DIR": str(files),
        "LOG_LEVEL": "WARNING",
    }
    process = subprocess.Popen(  # noqa: ASYNC220 (killed mid-run, never awaited)
        [str(CRM), "import", "customers", str(path), "--batch-size", "500"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(600):
            job = await _job(session_factory)
            if job is not None and job.committed_rows >= 2000:
                break
            await asyncio.sleep(0.05)
        process.send_signal(signal.SIGKILL)
    finally:
        process.wait()
    killed = await _job(session_factory)
    assert killed is not None
    assert killed.status == JobStatus.RUNNING
    assert 0 < killed.committed_rows < rows

    monkeypatch.setattr(settings, "files_dir", files)
    output = await run("import", "--resume", str(killed.id))

    async with session_factory() as session:
        external_ids = (
            (await session.execute(select(table_of(Customer).c.external_id))).scalars().all()
        )
        total = await session.scalar(select(func.count()).select_from(Customer))
    assert total == rows
    assert set(external_ids) == {f"C{n}" for n in range(1, rows + 1)}
    # The job's counts cover both runs: every row created once.
    assert f"{rows} rows, created {rows}, updated 0, unchanged 0, rejected 0" in output
