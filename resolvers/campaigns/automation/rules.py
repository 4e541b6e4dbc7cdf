"""Automation rules: written by marketers, checked here, run by the engine."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from typing import Annotated, Any

from pydantic import Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.audit import record_audit
from kernel.crud import validate_input
from kernel.errors import ErrorCode, ServiceError, UserError
from kernel.filtering import Filter, ForbiddenFilterError
from kernel.inputs import InputModel, Name, partial
from kernel.principal import Principal
from kernel.repository import authorize_filter
from kernel.tables import json_value, table_of
from models import AutomationRule, utcnow
from resolvers.campaigns.automation.actions import check_actions
from resolvers.graph import SPECS
from webhooks.routing import EVENT_TYPES

# Turns a rule's conditions (the API's filter input for an entity) into a filter for
# `compile_filter`; raises ServiceError with VALIDATION errors at ("conditions", ...).
ConditionsCompiler = Callable[[str, Mapping[str, Any]], Filter]

rules_table = table_of(AutomationRule)


class RuleCreate(InputModel):
    name: Name
    description: Annotated[str, Field(max_length=1000)] | None = None
    trigger: Annotated[str, Field(min_length=1, max_length=100)]
    conditions: dict[str, Any] = {}
    actions: Annotated[list[dict[str, Any]], Field(min_length=1, max_length=20)]
    active: bool = True


RuleUpdate = partial(RuleCreate, "RuleUpdate")


def trigger_entity(trigger: str) -> str:
    """The entity type of a trigger's events (`deal.stage_changed` -> `deal`)."""
    return trigger.partition(".")[0]


async def _checked(
    session: AsyncSession,
    principal: Principal,
    values: dict[str, Any],
    compile_conditions: ConditionsCompiler,
    rule: AutomationRule | None = None,
) -> dict[str, Any]:
    """The values with the actions in their stored form; every problem found at once."""
    errors: list[UserError] = []
    for name in ("name", "trigger", "actions"):
        if name in values and values[name] is None:
            errors.append(UserError(ErrorCode.VALIDATION, "may not be null", (name,)))
    if errors:
        raise ServiceError(errors)
    trigger = values.get("trigger", rule.trigger if rule else "")
    if trigger not in EVENT_TYPES:
        errors.append(
            UserError(ErrorCode.VALIDATION, f"unknown event type {trigger!r}", ("trigger",))
        )
    entity = trigger_entity(trigger)
    conditions = values.get("conditions", rule.conditions if rule else {}) or {}
    try:
        filter_ = compile_conditions(entity, conditions)
        if entity in SPECS:
            # The rule acts on what its conditions match: only on what its author may read.
            authorize_filter(SPECS[entity], filter_, principal, ("conditions",))
    except ServiceError as exc:
        errors.extend(exc.errors)
    except ForbiddenFilterError as exc:
        errors.append(exc.user_error())
    actions = values.get("actions", rule.actions if rule else [])
    stored, problems = await check_actions(session, principal, entity, actions)
    errors.extend(problems)
    if "name" in values:
        clash = await session.scalar(
            select(rules_table.c.id).where(
                rules_table.c.name == values["name"],
                rules_table.c.id != (rule.id if rule else None),
            )
        )
        if clash is not None:
            errors.append(UserError(ErrorCode.DUPLICATE, "another rule has this name", ("name",)))
    if errors:
        raise ServiceError(errors)
    if "conditions" in values:
        values["conditions"] = conditions
    if "actions" in values:
        values["actions"] = stored
    return values


async def create_rule(
    session: AsyncSession,
    principal: Principal,
    data: Mapping[str, Any],
    compile_conditions: ConditionsCompiler,
) -> AutomationRule:
    """Check and store a rule; it reacts to events recorded from now on."""
    values = await _checked(
        session, principal, validate_input(RuleCreate, data), compile_conditions
    )
    rule = AutomationRule(**values)
    session.add(rule)
    await session.flush()
    changes = {name: {"old": None, "new": json_value(value)} for name, value in values.items()}
    record_audit(session, principal, "automation_rule.created", "automation_rule", rule.id, changes)
    return rule


async def _get(session: AsyncSession, rule_id: uuid.UUID) -> AutomationRule:
    rule = await session.get(AutomationRule, rule_id, with_for_update=True)
    if rule is None or rule.deleted_at is not None:
        raise ServiceError.single(ErrorCode.NOT_FOUND, "automation rule not found", "id")
    return rule


def _check_version(rule: AutomationRule, expected_version: int | None) -> None:
    if expected_version is not None and expected_version != rule.version:
        raise ServiceError.single(
            ErrorCode.CONFLICT,
            f"automation rule is at version {rule.version}, not {expected_version}",
            "expectedVersion",
        )


async def update_rule(
    session: AsyncSession,
    principal: Principal,
    rule_id: uuid.UUID,
    data: Mapping[str, Any],
    compile_conditions: ConditionsCompiler,
    expected_version: int | None = None,
) -> AutomationRule:
    """Change the given fields; the conditions and actions are checked against the trigger."""
    rule = await _get(session, rule_id)
    _check_version(rule, expected_version)
    values = await _checked(
        session, principal, validate_input(RuleUpdate, data), compile_conditions, rule
    )
    changes = {
        name: {"old": json_value(getattr(rule, name)), "new": json_value(value)}
        for name, value in values.items()
        if getattr(rule, name) != value
    }
    if not changes:
        return rule
    for name, value in values.items():
        setattr(rule, name, value)
    rule.version += 1
    rule.updated_at = utcnow()
    record_audit(session, principal, "automation_rule.updated", "automation_rule", rule.id, changes)
    return rule


async def delete_rule(
    session: AsyncSession,
    principal: Principal,
    rule_id: uuid.UUID,
    expected_version: int | None = None,
) -> AutomationRule:
    """Soft-delete a rule: it stops reacting; its runs stay queryable."""
    rule = await _get(session, rule_id)
    _check_version(rule, expected_version)
    rule.deleted_at = utcnow()
    rule.active = False
    rule.version += 1
    rule.updated_at = rule.deleted_at
    record_audit(session, principal, "automation_rule.deleted", "automation_rule", rule.id)
    return rule
