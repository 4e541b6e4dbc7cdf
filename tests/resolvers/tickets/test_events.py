"""Ticket changes emit their domain events beside `ticket.updated`."""

from typing import Any

from sqlalchemy import select

from kernel.crud import update_entity
from kernel.principal import SYSTEM
from kernel.tables import table_of
from kernel.unit_of_work import unit_of_work
from models import Event
from resolvers.tickets.service import TICKET_RULES


async def _types(session_factory: Any, ticket_id: Any) -> list[str]:
    events = table_of(Event)
    async with session_factory() as session:
        statement = (
            select(events.c.type).where(events.c.entity_id == ticket_id).order_by(events.c.position)
        )
        return list((await session.scalars(statement)).all())


async def test_assigning_a_ticket_emits_ticket_assigned(make: Any, session_factory: Any) -> None:
    ticket = await make.ticket()
    agent = await make.user(role="support")

    async with unit_of_work(session_factory) as session:
        await update_entity(session, SYSTEM, TICKET_RULES, ticket.id, {"assignee_id": agent.id})

    assert await _types(session_factory, ticket.id) == [
        "ticket.created",
        "ticket.assigned",
        "ticket.updated",
    ]


async def test_resolving_a_ticket_emits_status_changed_and_resolved(
    make: Any, session_factory: Any
) -> None:
    ticket = await make.ticket(status="open")

    async with unit_of_work(session_factory) as session:
        await update_entity(session, SYSTEM, TICKET_RULES, ticket.id, {"status": "resolved"})

    assert await _types(session_factory, ticket.id) == [
        "ticket.created",
        "ticket.status_changed",
        "ticket.resolved",
        "ticket.updated",
    ]
