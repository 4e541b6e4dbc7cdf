"""Users and teams: their validation rules."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.crud import Change, EntityRules, create_entity
from kernel.errors import ErrorCode, ServiceError
from kernel.inputs import Email, ExternalId, InputModel, Name, ShortText, partial
from kernel.principal import Principal
from kernel.tables import table_of
from models import Role, Team, User


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


async def _check_user(session: AsyncSession, principal: Principal, change: Change[User]) -> None:
    manager_id = change.values.get("manager_id")
    if manager_id is not None and manager_id == change.row.id:
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
