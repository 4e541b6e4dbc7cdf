"""Soft-deleted rows are purged after the retention period, children before parents."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models import AuditEntry, Contact, Customer, Interaction, utcnow
from resolvers.principal import SYSTEM
from resolvers.retention import purge_deleted
from resolvers.tables import table_of
from resolvers.unit_of_work import unit_of_work


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
