"""Users and teams: validation rules, and what a departure does to a user's open work."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.crud import EntityRules, create_entity, update_entity
from kernel.errors import ErrorCode, ServiceError
from kernel.inputs import Email, ExternalId, InputModel, Name, ShortText, partial
from kernel.outbox import record_event
from kernel.principal import Principal
from kernel.tables import row_to_dict, table_of
from models import (
    Customer,
    Deal,
    Role,
    Stage,
    StageKind,
    Team,
    Ticket,
    TicketStatus,
    User,
)
from resolvers.customers.service import CUSTOMER_RULES
from resolvers.deals.service import DEAL_RULES
from resolvers.tickets.service import TICKET_RULES


class TeamCreate(InputModel):
    name: Name


class UserCreate(InputModel):
    email: Email
    name: Name
    title: ShortText | None = None
    role: Role = Role.READ_ONLY
    team_id: uuid.UUID | None = None
    manager_id: uuid.UUID | None = None
    active: bool = True
    external_id: ExternalId | None = None


async def _check_user(
    session: AsyncSession, principal: Principal, row: Any, changes: dict[str, Any], _: Any
) -> None:
    if changes.get("manager_id") is not None and changes["manager_id"] == row.id:
        raise ServiceError.single(
            ErrorCode.VALIDATION, "a user cannot manage themself", "manager_id"
        )


TEAM_RULES = EntityRules(
    model=Team,
    entity="team",
    create_input=TeamCreate,
    update_input=partial(TeamCreate, "TeamUpdate"),
    unique=("name",),
)

USER_RULES = EntityRules(
    model=User,
    entity="user",
    create_input=UserCreate,
    update_input=partial(UserCreate, "UserUpdate"),
    references={"team_id": Team, "manager_id": User},
    unique=("email", "external_id"),
    before_write=_check_user,
)


async def is_active_user(session: AsyncSession, user_id: uuid.UUID) -> bool:
    users = table_of(User)
    return bool(await session.scalar(select(users.c.active).where(users.c.id == user_id)))


async def team_named(session: AsyncSession, principal: Principal, name: str) -> uuid.UUID:
    """The id of the team with this name, created if there is none yet."""
    teams = table_of(Team)
    found = await session.scalar(select(teams.c.id).where(teams.c.name == name))
    if found is not None:
        return uuid.UUID(str(found))
    team = await create_entity(session, principal, TEAM_RULES, {"name": name})
    return team.id


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
