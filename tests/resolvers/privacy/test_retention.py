"""Soft-deleted rows are purged after the retention period, children before parents."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kernel.principal import SYSTEM
from kernel.tables import table_of
from kernel.unit_of_work import unit_of_work
from models import AuditEntry, Contact, Customer, Interaction, utcnow
from models.bulk import ExportJob, ImportJob, JobStatus
from resolvers.bulk.cleanup import remove_expired_files
from resolvers.privacy.retention import purge_deleted


async def _delete(session_factory: Any, model: Any, row: Any, days_ago: int) -> None:
    table = table_of(model)
    async with unit_of_work(session_factory) as session:
        await session.execute(
            update(table)
            .where(table.c.id == row.id)
            .values(deleted_at=utcnow() - timedelta(days=days_ago))
        )


async def _purge(session_factory: async_sessionmaker[AsyncSession]) -> Any:
    async with unit_of_work(session_factory) as session:
        return await purge_deleted(session, SYSTEM, utcnow() - timedelta(days=30))


async def _ids(session_factory: Any, model: Any) -> set[Any]:
    async with session_factory() as session:
        return set((await session.scalars(select(table_of(model).c.id))).all())


async def test_rows_deleted_before_the_period_are_purged_and_recent_ones_kept(
    make: Any, session_factory: Any
) -> None:
    old, recent, live = await make.customer(), await make.customer(), await make.customer()
    await _delete(session_factory, Customer, old, 40)
    await _delete(session_factory, Customer, recent, 10)

    result = await _purge(session_factory)

    assert result.purged == {"customers": 1}
    assert await _ids(session_factory, Customer) == {recent.id, live.id}


async def test_a_row_a_live_row_refers_to_is_skipped(make: Any, session_factory: Any) -> None:
    customer = await make.customer()
    contact = await make.contact(customer_id=customer.id)
    await _delete(session_factory, Customer, customer, 40)

    result = await _purge(session_factory)

    assert (result.purged, result.skipped) == ({}, {"customers": 1})
    assert await _ids(session_factory, Contact) == {contact.id}


async def test_old_children_go_before_their_old_parent(make: Any, session_factory: Any) -> None:
    customer = await make.customer()
    contact = await make.contact(customer_id=customer.id)
    interaction = await make.interaction(contact_id=contact.id)
    await _delete(session_factory, Interaction, interaction, 45)
    await _delete(session_factory, Contact, contact, 40)
    await _delete(session_factory, Customer, customer, 40)

    result = await _purge(session_factory)

    assert result.purged == {"interactions": 1, "contacts": 1, "customers": 1}


async def test_a_parent_whose_child_was_deleted_recently_waits(
    make: Any, session_factory: Any
) -> None:
    contact = await make.contact()
    interaction = await make.interaction(contact_id=contact.id)
    await _delete(session_factory, Interaction, interaction, 10)
    await _delete(session_factory, Contact, contact, 40)

    result = await _purge(session_factory)

    assert (result.purged, result.skipped) == ({}, {"contacts": 1})


async def test_a_contacts_consent_history_goes_with_it(make: Any, session_factory: Any) -> None:
    contact = await make.contact()
    await make.consent(contact_id=contact.id)
    await _delete(session_factory, Contact, contact, 40)

    result = await _purge(session_factory)

    assert result.purged == {"contacts": 1}
    assert await _ids(session_factory, Contact) == set()


async def test_a_purge_writes_one_audit_entry_with_the_counts(
    make: Any, session_factory: Any
) -> None:
    old = await make.customer()
    await _delete(session_factory, Customer, old, 40)

    await _purge(session_factory)

    async with session_factory() as session:
        entries = (
            await session.scalars(
                select(AuditEntry).where(AuditEntry.action == "retention.purged")  # type: ignore[arg-type]
            )
        ).all()
    assert [entry.changes["purged"] for entry in entries] == [{"customers": 1}]


async def _remove_files(session_factory: Any, files_dir: Path) -> Any:
    now = utcnow()
    async with unit_of_work(session_factory) as session:
        return await remove_expired_files(session, files_dir, now, now - timedelta(days=30))


def _file(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("id,name\n")
    return path


async def test_expired_export_files_are_deleted_and_their_path_cleared(
    session_factory: Any, tmp_path: Path
) -> None:
    expired = _file(tmp_path / "exports" / "expired.csv")
    valid = _file(tmp_path / "exports" / "valid.csv")
    jobs = [
        ExportJob(entity_type="customers", status=JobStatus.COMPLETED, file_path=str(path),
                  expires_at=utcnow() + timedelta(hours=hours))
        for path, hours in ((expired, -1), (valid, 1))
    ]  # fmt: skip
    async with unit_of_work(session_factory) as session:
        session.add_all(jobs)

    removed = await _remove_files(session_factory, tmp_path)

    async with session_factory() as session:
        exports = table_of(ExportJob)
        paths = dict((await session.execute(select(exports.c.id, exports.c.file_path))).all())
    assert removed.exports == 1
    assert (expired.exists(), valid.exists()) == (False, True)
    assert paths == {jobs[0].id: None, jobs[1].id: str(valid)}


async def test_uploaded_files_of_imports_finished_before_the_period_are_deleted(
    session_factory: Any, tmp_path: Path
) -> None:
    old_upload = _file(tmp_path / "uploads" / "old.csv")
    recent_upload = _file(tmp_path / "uploads" / "recent.csv")
    own_file = _file(tmp_path / "home" / "customers.csv")  # named on `crm import`'s command line
    async with unit_of_work(session_factory) as session:
        session.add_all(
            [
                ImportJob(entity_type="customers", status=JobStatus.COMPLETED,
                          file_path=str(path), finished_at=utcnow() - timedelta(days=days))
                for path, days in ((old_upload, 40), (recent_upload, 10), (own_file, 40))
            ]
        )  # fmt: skip

    first = await _remove_files(session_factory, tmp_path)
    again = await _remove_files(session_factory, tmp_path)

    assert (first.imports, again.imports) == (1, 0)
    assert [p.exists() for p in (old_upload, recent_upload, own_file)] == [False, True, True]
