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
from kernel.errors import ErrorCode, ServiceError
from kernel.inputs import Email
from kernel.tables import table_of
from models import Role, User
from resolvers.identity.users import USER_RULES, team_named
from resolvers.offboarding import deactivate_user

users = table_of(User)


class EmploymentStatus(StrEnum):
    ACTIVE = "active"
    DEPARTED = "departed"


class HRMSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # HRM job role (as the HRM names it) -> CRM role. A new user with an unmapped job role gets
    # `default_role`; an existing user's role changes only when the job role is mapped.
    role_map: dict[str, Role] = {}
    default_role: Role = Role.READ_ONLY
    # Who takes over a departed employee's work when they have no active manager.
    fallback_owner_email: str | None = None


class EmployeeData(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: Email
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
    # The user this employee is: linked by the HRM's id, or one invited before the HRM was
    # connected, found by email.
    target = await ctx.resolve("user", record.id) or await ctx.session.scalar(
        select(users.c.id).where(users.c.email == data.email)
    )
    values: dict[str, Any] = {
        "email": data.email,
        "name": data.name,
        "title": data.title,
        "team_id": await team_named(ctx.session, ctx.principal, data.team) if data.team else None,
        "manager_id": (
            await ctx.require("user", data.manager_id, "manager_id") if data.manager_id else None
        ),
    }
    if data.role in settings.role_map:
        values["role"] = settings.role_map[data.role]
    elif target is None:
        values["role"] = settings.default_role
    departed = data.status is EmploymentStatus.DEPARTED
    if target is None:
        # `active` is set on creation only: an admin's deactivation in the CRM stands.
        values["active"] = not departed
    was_active = target is not None and bool(
        await ctx.session.scalar(select(users.c.active).where(users.c.id == target))
    )
    applied = await ctx.upsert(USER_RULES, record, values, match=target)
    if not (departed and was_active):
        return applied
    successor = await _successor(ctx, settings, applied.entity_id)
    await deactivate_user(ctx.session, ctx.principal, applied.entity_id, successor)
    return Applied("user", applied.entity_id, changed=True, ignored=applied.ignored)


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
