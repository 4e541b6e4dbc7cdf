"""A user's departure: deactivated, and their open work handed to a successor.

It crosses domains (deals, tickets, customers), so it sits above them, not in identity.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.crud import EntityRules, update_entity
from kernel.errors import ErrorCode, ServiceError
from kernel.outbox import record_event
from kernel.principal import Principal
from kernel.tables import row_to_dict, table_of
from models import Customer, Deal, Stage, StageKind, Ticket, TicketStatus, User
from resolvers.customers.service import CUSTOMER_RULES
from resolvers.deals.service import DEAL_RULES
from resolvers.identity.users import USER_RULES
from resolvers.tickets.service import TICKET_RULES


async def deactivate_user(
    session: AsyncSession,
    principal: Principal,
    user_id: uuid.UUID,
    successor_id: uuid.UUID | None,
) -> dict[str, int]:
    """Deactivate a user (their tokens stop working at once) and hand their open deals,
    open tickets and owned customers to ``successor_id`` (unassigned when None).

    Every change goes through the entity's service, so each emits its usual event.
    Returns how many records of each kind moved.
    """
    if successor_id == user_id:
        raise ServiceError.single(
            ErrorCode.VALIDATION, "a user cannot succeed themself", "manager_id"
        )
    user = await update_entity(session, principal, USER_RULES, user_id, {"active": False})
    deals, stages = table_of(Deal), table_of(Stage)
    tickets, customers = table_of(Ticket), table_of(Customer)
    open_deals = (
        select(deals.c.id)
        .join(stages, stages.c.id == deals.c.stage_id)
        .where(
            deals.c.owner_id == user_id,
            stages.c.kind == StageKind.OPEN,
            deals.c.deleted_at.is_(None),
        )
    )
    open_tickets = select(tickets.c.id).where(
        tickets.c.assignee_id == user_id,
        tickets.c.status.not_in([TicketStatus.RESOLVED, TicketStatus.CLOSED]),
        tickets.c.deleted_at.is_(None),
    )
    owned_customers = select(customers.c.id).where(
        customers.c.owner_id == user_id, customers.c.deleted_at.is_(None)
    )
    moved = {"deals": 0, "tickets": 0, "customers": 0}
    plan: tuple[tuple[str, Any, EntityRules[Any], str], ...] = (
        ("deals", open_deals, DEAL_RULES, "owner_id"),
        ("tickets", open_tickets, TICKET_RULES, "assignee_id"),
        ("customers", owned_customers, CUSTOMER_RULES, "owner_id"),
    )
    for kind, query, rules, field in plan:
        for row_id in (await session.scalars(query.order_by(query.selected_columns[0]))).all():
            await update_entity(session, principal, rules, row_id, {field: successor_id})
            moved[kind] += 1
    data = row_to_dict(user, table_of(User)) | {
        "successor_id": str(successor_id) if successor_id else None,
        "reassigned": moved,
    }
    record_event(session, principal, "user.deactivated", "user", user.id, user.version, data)
    return moved
