"""Writing import batches: batches read ahead still see the rows earlier batches committed, and
new rows are stored as the API stores them on every database."""

from __future__ import annotations

from datetime import UTC, date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kernel.tables import table_of
from kernel.unit_of_work import unit_of_work
from models import Contact, Customer
from resolvers.bulk.references import insert_rows, plan_for_keys
from tests.resolvers.bulk.helpers import count, import_file


async def test_a_record_repeated_in_a_later_batch_updates_the_one_written_before(
    session_factory: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    path = tmp_path / "c.csv"
    rows = [f"Customer {n},E{n}" for n in range(5)] + ["Customer 0 renamed,E0", "Customer 9,E9"]
    path.write_text("name,external_id\n" + "\n".join(rows) + "\n")

    job = await import_file(session_factory, path, "customers", batch_size=2)

    assert (job.created_count, job.updated_count, job.rejected_count) == (6, 1, 0)
    assert await count(session_factory, Customer) == 6
    assert await count(session_factory, Customer, Customer.name == "Customer 0 renamed") == 1


async def test_new_rows_are_stored_with_encrypted_fields_and_utc_times(
    session_factory: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    path = tmp_path / "contacts.csv"
    path.write_text("first_name,email,phone\nAda,ada@example.com,+49 30 1234567\n")

    await import_file(session_factory, path, "contacts")

    async with session_factory() as session:
        contact = (await session.execute(select(Contact))).scalar_one()
        stored = await session.scalar(text("SELECT phone FROM contacts"))
    assert contact.phone == "+49 30 1234567"
    assert contact.created_at.tzinfo == UTC
    assert stored is not None
    assert "1234567" not in stored


async def test_a_row_the_database_refuses_fails_the_insert_as_an_integrity_error(
    session_factory: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    path = tmp_path / "c.csv"
    path.write_text("name,external_id\nAcme,A1\n")
    await import_file(session_factory, path, "customers")
    async with session_factory() as session:
        existing = dict((await session.execute(select(table_of(Customer)))).one()._mapping)

    with pytest.raises(IntegrityError):
        async with unit_of_work(session_factory) as session:
            await insert_rows(session, table_of(Customer), [existing])


async def test_imported_rows_store_each_type_exactly_as_the_api_does(
    session_factory: async_sessionmaker[AsyncSession], make: Any, tmp_path: Path
) -> None:
    pipeline, stages = await make.pipeline()
    customer = await make.customer(name="Zoë & Søn")
    via_api = await make.deal(
        name='Ünïcødé «deal» "quoted" 🚀',
        customer_id=customer.id,
        pipeline_id=pipeline.id,
        stage_id=stages[1].id,
        amount=Decimal("1234567.89"),
        expected_close_date=date(2027, 2, 28),
    )
    path = tmp_path / "deals.csv"
    path.write_text(
        "name,customer,pipeline,stage,amount,currency,close_date,external_id\n"
        f'"{via_api.name.replace(chr(34), chr(34) * 2)}",Zoë & Søn,{pipeline.name},Proposal,'
        "1234567.89,EUR,2027-02-28,D-1\n",
        encoding="utf-8",
    )

    job = await import_file(session_factory, path, "deals")

    assert (job.created_count, job.rejected_count) == (1, 0)
    columns = "name, customer_id, stage_id, amount, currency, expected_close_date, version"
    async with session_factory() as session:
        stored = (await session.execute(text(f"SELECT {columns} FROM deals"))).all()
        same = await session.scalar(
            text(f"SELECT count(*) FROM (SELECT DISTINCT {columns} FROM deals) AS d")
        )
    assert len(stored) == 2
    assert same == 1, stored


async def test_a_batch_probes_the_match_key_index_where_reading_the_table_looks_cheaper(
    session_factory: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    path = tmp_path / "c.csv"
    path.write_text("name,external_id\n" + "\n".join(f"C{n},E{n}" for n in range(3000)) + "\n")
    await import_file(session_factory, path, "customers")
    keys = [f"E{n}" for n in range(0, 3000, 3)]

    async with unit_of_work(session_factory) as session:
        if session.get_bind().dialect.name != "postgresql":
            pytest.skip("SQLite looks up an IN list by index by itself")
        await session.execute(text("ANALYZE customers"))
        await plan_for_keys(session)
        plan = "\n".join(
            await session.scalars(
                text("EXPLAIN SELECT * FROM customers WHERE external_id = ANY(:keys)"),
                {"keys": keys},
            )
        )

    assert "Index" in plan
    assert "Seq Scan" not in plan
