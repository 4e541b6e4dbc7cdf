"""Every committed change has its event in the outbox; no event exists for a refused one."""

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kernel.crud import create_entity, set_deleted, update_entity
from kernel.errors import ServiceError
from kernel.principal import SYSTEM
from kernel.unit_of_work import unit_of_work
from models import Customer, Event
from resolvers.customers.service import CUSTOMER_RULES


async def _events(session_factory: async_sessionmaker[AsyncSession]) -> list[Event]:
    async with session_factory() as session:
        return list((await session.scalars(select(Event).order_by(Event.position))).all())  # type: ignore[arg-type]


async def test_create_records_a_created_event_with_the_record(session_factory: Any) -> None:
    async with unit_of_work(session_factory) as session:
        customer = await create_entity(session, SYSTEM, CUSTOMER_RULES, {"name": "Acme"})

    [event] = await _events(session_factory)
    assert (event.type, event.entity_type, event.entity_id) == (
        "customer.created",
        "customer",
        customer.id,
    )
    assert event.sequence == 1
    assert event.payload["object"]["name"] == "Acme"
    assert event.actor == "system:system"


async def test_update_event_carries_each_changed_field_before_and_after(
    session_factory: Any,
) -> None:
    async with unit_of_work(session_factory) as session:
        customer = await create_entity(
            session, SYSTEM, CUSTOMER_RULES, {"name": "Acme", "industry": "Retail"}
        )
    async with unit_of_work(session_factory) as session:
        await update_entity(
            session, SYSTEM, CUSTOMER_RULES, customer.id, {"industry": "Software", "name": "Acme"}
        )

    event = (await _events(session_factory))[-1]
    assert event.type == "customer.updated"
    assert event.sequence == 2
    assert event.payload["changes"] == {"industry": {"old": "Retail", "new": "Software"}}


async def test_update_without_changes_records_no_event(session_factory: Any) -> None:
    async with unit_of_work(session_factory) as session:
        customer = await create_entity(session, SYSTEM, CUSTOMER_RULES, {"name": "Acme"})
    async with unit_of_work(session_factory) as session:
        await update_entity(session, SYSTEM, CUSTOMER_RULES, customer.id, {"name": "Acme"})

    assert [e.type for e in await _events(session_factory)] == ["customer.created"]


async def test_delete_and_restore_record_their_events_in_sequence(session_factory: Any) -> None:
    async with unit_of_work(session_factory) as session:
        customer = await create_entity(session, SYSTEM, CUSTOMER_RULES, {"name": "Acme"})
    async with unit_of_work(session_factory) as session:
        await set_deleted(session, SYSTEM, CUSTOMER_RULES, customer.id, True)
    async with unit_of_work(session_factory) as session:
        await set_deleted(session, SYSTEM, CUSTOMER_RULES, customer.id, False)

    events = await _events(session_factory)
    assert [(e.type, e.sequence) for e in events] == [
        ("customer.created", 1),
        ("customer.deleted", 2),
        ("customer.restored", 3),
    ]


async def test_a_refused_change_leaves_neither_row_nor_event(session_factory: Any) -> None:
    async def create_valid_then_invalid() -> None:
        async with unit_of_work(session_factory) as session:
            await create_entity(session, SYSTEM, CUSTOMER_RULES, {"name": "Acme"})
            await create_entity(session, SYSTEM, CUSTOMER_RULES, {"name": ""})

    with pytest.raises(ServiceError):
        await create_valid_then_invalid()

    async with session_factory() as session:
        assert (await session.scalars(select(Customer))).all() == []
    assert await _events(session_factory) == []
