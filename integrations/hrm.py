"""The generic HRM connector: employees become CRM users (team, manager, mapped role); a
departure deactivates the user and hands their open work to their manager.

Inbound format (docs/connectors.md): records of type `employee`; ids are the HRM's own.
"""

from __future__ import annotations

import uuid
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import select

from integrations.connector import Connector
from integrations.context import ApplyContext
from integrations.records import Applied, InboundRecord
from integrations.validation import parse
from models import Role, User
from resolvers.errors import ErrorCode, ServiceError
from resolvers.tables import table_of
from resolvers.users.service import USER_RULES, deactivate_user, team_named

users = table_of(User)


class EmploymentStatus(StrEnum):
    ACTIVE = "active"
    DEPARTED = "departed"


class HRMSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # HRM job role (as the HRM names it) -> CRM role; unmapped roles get `default_role`.
    role_map: dict[str, Role] = {}
    default_role: Role = Role.READ_ONLY
    # Who takes over a departed employee's work when they have no active manager.
    fallback_owner_email: str | None = None


class EmployeeData(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str
    name: str
    title: str | None = None
    team: str | None = None
    # The HRM id of the employee's manager; managers must be sent before their reports.
    manager_id: str | None = None
    role: str | None = None
    status: EmploymentStatus = EmploymentStatus.ACTIVE


async def apply_employee(ctx: ApplyContext, record: InboundRecord) -> Applied:
    settings: HRMSettings = ctx.connection.settings
    data = parse(EmployeeData, record)
    values: dict[str, Any] = {
        "email": data.email,
        "name": data.name,
        "title": data.title,
        "role": settings.role_map.get(data.role or "", settings.default_role),
        "team_id": await team_named(ctx.session, ctx.principal, data.team) if data.team else None,
        "manager_id": (
            await ctx.require("user", data.manager_id, "manager_id") if data.manager_id else None
        ),
    }
    # An employee already in the CRM (invited before the HRM was connected) is linked by email.
    existing = await ctx.session.scalar(select(users.c.id).where(users.c.email == data.email))
    departed = data.status is EmploymentStatus.DEPARTED
    if departed:
        active = await ctx.session.scalar(select(users.c.active).where(users.c.id == existing))
        values["active"] = bool(active)
        applied = await ctx.upsert(USER_RULES, record, values, match=existing)
        if not active:
            return applied
        successor = await _successor(ctx, settings, applied.entity_id)
        await deactivate_user(ctx.session, ctx.principal, applied.entity_id, successor)
        return Applied("user", applied.entity_id, changed=True, ignored=applied.ignored)
    return await ctx.upsert(USER_RULES, record, values | {"active": True}, match=existing)


async def _successor(
    ctx: ApplyContext, settings: HRMSettings, user_id: uuid.UUID
) -> uuid.UUID | None:
    """The user's manager if active, else the configured fallback owner, else nobody."""
    manager = users.alias("manager")
    found = await ctx.session.scalar(
        select(manager.c.id)
        .join(users, users.c.manager_id == manager.c.id)
        .where(users.c.id == user_id, manager.c.active)
    )
    if found is not None or settings.fallback_owner_email is None:
        return uuid.UUID(str(found)) if found is not None else None
    fallback = await ctx.session.scalar(
        select(users.c.id).where(users.c.email == settings.fallback_owner_email, users.c.active)
    )
    if fallback is None:
        raise ServiceError.single(
            ErrorCode.INVALID_STATE,
            f"the fallback owner {settings.fallback_owner_email!r} is not an active user",
            "data",
            "manager_id",
        )
    return uuid.UUID(str(fallback))


HRM = Connector(
    name="hrm",
    description="A generic HRM: employees, teams, managers and departures.",
    handlers={"employee": apply_employee},
    settings_model=HRMSettings,
    default_ownership={"user": {"email": "source", "name": "source", "title": "source"}},
)
