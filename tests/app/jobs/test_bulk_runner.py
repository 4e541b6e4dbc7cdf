"""The in-process bulk job runner (`app.jobs.bulk`) beside concurrent writers."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.jobs.bulk import run_bulk_jobs_once
from app.settings import Settings
from kernel.unit_of_work import unit_of_work
from models import Customer
from models.bulk import ExportJob, JobStatus

START_EXPORT = """
mutation { startExport(input: {type: CUSTOMERS}) { exportJob { id } errors { code } } }"""


@pytest.fixture(autouse=True)
def _files(settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "files_dir", tmp_path / "files")


async def test_export_is_claimed_while_another_transaction_writes(
    gql: Any,
    make: Any,
    settings: Settings,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    # Given a pending export, and another transaction that writes and commits while the
    # runner is claiming it (on SQLite a claim that read first and then wrote failed with
    # "database is locked" as soon as that writer committed).
    customer = await make.customer(name="Acme")
    await gql(START_EXPORT)
    writing = asyncio.Event()

    async def write_for_a_while() -> None:
        async with unit_of_work(session_factory) as session:
            await session.execute(
                update(Customer).where(Customer.id == customer.id).values(name="Acme 2")
            )
            writing.set()
            await asyncio.sleep(0.5)

    writer = asyncio.create_task(write_for_a_while())
    await writing.wait()

    # When the runner takes the job meanwhile
    ran = await run_bulk_jobs_once(settings, session_factory)
    await writer

    # Then it ran to its end
    async with session_factory() as session:
        status = (await session.execute(select(ExportJob))).scalar_one().status
    assert (ran, status) == (1, JobStatus.COMPLETED)
