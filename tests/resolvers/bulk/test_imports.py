"""Importing customers and contacts: validation per row, upserts, dry runs, events."""

from __future__ import annotations

import codecs
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kernel.tables import table_of
from models import AuditEntry, Contact, Customer, Event
from models.bulk import JobStatus
from resolvers.bulk.imports import error_report_path
from tests.resolvers.bulk.helpers import count, import_file, row_errors

events = table_of(Event)
BAD_CUSTOMERS = (
    "Company,External ID,Employees,Country,Tags\n"
    "Acme,A1,12,DE,vip;eu\n"
    "Beta,A2,-3,FR,\n"
    ",A3,5,DE,\n"
    'Gamma,A4,"1,000",Germany,\n'
    "Delta,A5,7,DE,\n"
)


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


async def test_bad_rows_are_reported_by_row_and_column_and_good_rows_imported(
    session_factory: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    job = await import_file(session_factory, write(tmp_path, "c.csv", BAD_CUSTOMERS), "customers")

    assert job.status == JobStatus.COMPLETED
    assert (job.created_count, job.rejected_count, job.total_rows) == (2, 3, 5)
    assert await row_errors(session_factory, job) == [
        (2, "Employees", "VALIDATION"),
        (3, "Company", "VALIDATION"),
        (4, "Country", "VALIDATION"),
    ]
    report = error_report_path(tmp_path / "files", job.id).read_text().splitlines()
    assert report[0] == "row,column,code,reason"
    assert report[1] == "2,Employees,VALIDATION,must not be negative"


async def test_rerun_after_fixing_bad_rows_creates_no_duplicates(
    session_factory: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    await import_file(session_factory, write(tmp_path, "c.csv", BAD_CUSTOMERS), "customers")
    fixed = BAD_CUSTOMERS.replace("-3", "3").replace(",A3", "Ceta,A3").replace("Germany", "DE")

    job = await import_file(session_factory, write(tmp_path, "fixed.csv", fixed), "customers")

    assert (job.created_count, job.updated_count, job.unchanged_count) == (3, 0, 2)
    assert job.rejected_count == 0
    assert await count(session_factory, Customer) == 5


async def test_changed_rows_update_the_matched_record(
    session_factory: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    await import_file(
        session_factory, write(tmp_path, "a.csv", "name,external_id\nAcme,A1\n"), "customers"
    )

    job = await import_file(
        session_factory, write(tmp_path, "b.csv", "name,external_id\nAcme Ltd,A1\n"), "customers"
    )

    async with session_factory() as session:
        customer = (await session.execute(select(Customer))).scalar_one()
    assert job.updated_count == 1
    assert (customer.name, customer.version) == ("Acme Ltd", 2)


async def test_dry_run_records_errors_but_writes_no_records_and_no_event(
    session_factory: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    job = await import_file(
        session_factory, write(tmp_path, "c.csv", BAD_CUSTOMERS), "customers", dry_run=True
    )

    assert (job.created_count, job.rejected_count) == (2, 3)
    assert len(await row_errors(session_factory, job)) == 3
    assert await count(session_factory, Customer) == 0
    assert await count(session_factory, Event) == 0


async def test_an_import_is_one_audit_entry_and_one_completed_event(
    session_factory: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    job = await import_file(
        session_factory, write(tmp_path, "c.csv", BAD_CUSTOMERS), "customers", batch_size=2
    )

    async with session_factory() as session:
        recorded = (await session.execute(select(events.c.type, events.c.payload))).all()
        audit = (await session.execute(select(table_of(AuditEntry).c.action))).scalars().all()
    assert [e.type for e in recorded] == ["import.completed"]
    assert recorded[0].payload["object"]["created"] == 2
    assert audit == ["import.completed"]
    assert job.committed_rows == 5


async def test_per_record_events_are_an_option(
    session_factory: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    await import_file(
        session_factory,
        write(tmp_path, "c.csv", BAD_CUSTOMERS),
        "customers",
        per_record_events=True,
    )

    async with session_factory() as session:
        types = (await session.execute(select(events.c.type))).scalars().all()
    assert sorted(types) == ["customer.created", "customer.created", "import.completed"]


async def test_semicolon_separated_cp1252_file_is_read(
    session_factory: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    path = write(tmp_path, "c.csv", "Firma;Stadt\nMüller GmbH;Köln\n", "cp1252")

    job = await import_file(
        session_factory, path, "customers", mapping={"Firma": "name", "Stadt": "city"}
    )

    async with session_factory() as session:
        customer = (await session.execute(select(Customer))).scalar_one()
    assert job.created_count == 1
    assert (customer.name, customer.city) == ("Müller GmbH", "Köln")


async def test_tab_separated_utf16_file_with_bom_is_read(
    session_factory: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    path = tmp_path / "c.tsv"
    path.write_bytes(codecs.BOM_UTF16_LE + "Name\tCity\nŁódź Sp.\tŁódź\n".encode("utf-16-le"))

    job = await import_file(session_factory, path, "customers")

    async with session_factory() as session:
        customer = (await session.execute(select(Customer))).scalar_one()
    assert job.created_count == 1
    assert customer.city == "Łódź"


async def test_json_lines_with_camel_case_keys_are_imported(
    session_factory: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    text = '{"name": "Acme", "externalId": "A1", "tags": ["a", "b"]}\nnot json\n'

    job = await import_file(session_factory, write(tmp_path, "c.jsonl", text), "customers")

    async with session_factory() as session:
        customer = (await session.execute(select(Customer))).scalar_one()
    assert (customer.external_id, customer.tags) == ("A1", ["a", "b"])
    assert await row_errors(session_factory, job) == [(2, "", "VALIDATION")]


async def test_contact_naming_an_unknown_customer_is_rejected_unless_creation_is_asked(
    session_factory: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    text = (
        "first name,last name,email,company\nAna,Lee,ana@acme.com,Acme\nBo,Kim,bo@acme.com,Acme\n"
    )
    path = write(tmp_path, "p.csv", text)

    refused = await import_file(session_factory, path, "contacts", match="email")
    created = await import_file(
        session_factory, path, "contacts", match="email", create_customers=True
    )

    assert await row_errors(session_factory, refused) == [
        (1, "company", "INVALID_REFERENCE"),
        (2, "company", "INVALID_REFERENCE"),
    ]
    assert created.created_count == 2
    assert created.options["customers_created"] == 1
    async with session_factory() as session:
        customer_ids = set(
            (await session.execute(select(table_of(Contact).c.customer_id))).scalars()
        )
    assert len(customer_ids) == 1
    assert None not in customer_ids


async def test_contacts_match_by_email_ignoring_case(
    session_factory: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    await import_file(
        session_factory,
        write(tmp_path, "a.csv", "email,last_name\nana@acme.com,Lee\n"),
        "contacts",
        match="email",
    )

    job = await import_file(
        session_factory,
        write(tmp_path, "b.csv", "email,title\nAna@ACME.com,CTO\n"),
        "contacts",
        match="email",
    )

    assert (job.created_count, job.updated_count) == (0, 1)
    assert await count(session_factory, Contact) == 1
