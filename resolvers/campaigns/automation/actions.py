"""What automation rules do: each action type, checked when a rule is written and run by the
engine inside the transaction of the rule's run, through the entities' own write paths (so
every change is validated, evented and audited as if a person had made it)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.bus import Topic, touch
from kernel.crud import EntityRules, create_entity, update_entity, validation_errors
from kernel.errors import ErrorCode, ServiceError, UserError
from kernel.inputs import InputModel, Name
from kernel.permissions import WRITE_SCOPES, Scope, has_scope
from kernel.principal import Principal
from kernel.tables import table_of
from models import (
    AutomationRule,
    Campaign,
    Event,
    InteractionKind,
    Team,
    TicketPriority,
    User,
    utcnow,
)
from models.webhooks import WebhookDelivery, WebhookEndpoint
from resolvers.campaigns.members import Selection, add_campaign_members
from resolvers.campaigns.service import CAMPAIGN_MEMBER_RULES, CAMPAIGN_RULES, ExclusionReason
from resolvers.customers.interactions import INTERACTION_RULES
from resolvers.customers.purchases import PURCHASE_RULES
from resolvers.customers.service import CONTACT_RULES, CUSTOMER_RULES
from resolvers.deals.service import DEAL_RULES
from resolvers.tickets.service import TICKET_COMMENT_RULES, TICKET_RULES

ENTITY_RULES: dict[str, EntityRules[Any]] = {
    rules.entity: rules
    for rules in (
        CUSTOMER_RULES,
        CONTACT_RULES,
        INTERACTION_RULES,
        PURCHASE_RULES,
        DEAL_RULES,
        CAMPAIGN_RULES,
        CAMPAIGN_MEMBER_RULES,
        TICKET_RULES,
        TICKET_COMMENT_RULES,
    )
}
# The user field `assign_owner` sets, per entity.
OWNER_FIELDS = {
    "customer": "owner_id",
    "contact": "owner_id",
    "deal": "owner_id",
    "ticket": "assignee_id",
}
# Entities whose records name a contact (or are one), and a customer (or are one).
WITH_CONTACT = frozenset({"contact", "deal", "ticket", "interaction", "campaign_member"})
WITH_CUSTOMER = frozenset({"customer", "contact", "deal", "ticket", "interaction", "purchase"})


class ActionType(StrEnum):
    ADD_TO_CAMPAIGN = "add_to_campaign"
    SET_FIELD = "set_field"
    ASSIGN_OWNER = "assign_owner"
    CREATE_INTERACTION = "create_interaction"
    CREATE_TICKET = "create_ticket"
    NOTIFY_WEBHOOK = "notify_webhook"


class AddToCampaign(InputModel):
    type: Literal[ActionType.ADD_TO_CAMPAIGN]
    campaign_id: uuid.UUID


class SetField(InputModel):
    type: Literal[ActionType.SET_FIELD]
    field: Annotated[str, Field(min_length=1, max_length=100)]
    value: Any = None


class AssignOwner(InputModel):
    type: Literal[ActionType.ASSIGN_OWNER]
    team_id: uuid.UUID


class CreateInteraction(InputModel):
    type: Literal[ActionType.CREATE_INTERACTION]
    kind: InteractionKind = InteractionKind.NOTE
    subject: Name


class CreateTicket(InputModel):
    type: Literal[ActionType.CREATE_TICKET]
    subject: Name
    priority: TicketPriority = TicketPriority.NORMAL


class NotifyWebhook(InputModel):
    type: Literal[ActionType.NOTIFY_WEBHOOK]
    endpoint_id: uuid.UUID


MODELS: dict[str, type[InputModel]] = {
    ActionType.ADD_TO_CAMPAIGN: AddToCampaign,
    ActionType.SET_FIELD: SetField,
    ActionType.ASSIGN_OWNER: AssignOwner,
    ActionType.CREATE_INTERACTION: CreateInteraction,
    ActionType.CREATE_TICKET: CreateTicket,
    ActionType.NOTIFY_WEBHOOK: NotifyWebhook,
}
# The scope the author of a rule needs for each action (rules run with every right).
ACTION_SCOPES: dict[str, Scope | None] = {
    ActionType.ADD_TO_CAMPAIGN: Scope.CAMPAIGNS_WRITE,
    ActionType.SET_FIELD: None,  # the trigger entity's write scope
    ActionType.ASSIGN_OWNER: None,
    ActionType.CREATE_INTERACTION: Scope.INTERACTIONS_WRITE,
    ActionType.CREATE_TICKET: Scope.TICKETS_WRITE,
    ActionType.NOTIFY_WEBHOOK: Scope.WEBHOOKS_MANAGE,
}
_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


def snake(name: str) -> str:
    return _CAMEL.sub("_", name).lower()


def _error(code: ErrorCode, message: str, index: int, field: str) -> UserError:
    return UserError(code, message, ("actions", str(index), field))


def _parse(index: int, raw: Mapping[str, Any]) -> tuple[InputModel | None, list[UserError]]:
    model = MODELS.get(str(raw.get("type")))
    if model is None:
        return None, [_error(ErrorCode.VALIDATION, "unknown action type", index, "type")]
    try:
        return model.model_validate(dict(raw)), []
    except ValidationError as exc:
        return None, [
            UserError(error.code, error.message, ("actions", str(index), *error.field))
            for error in validation_errors(exc)
        ]


async def _exists(session: AsyncSession, model: type[Any], row_id: uuid.UUID) -> bool:
    table = table_of(model)
    statement = select(table.c.id).where(table.c.id == row_id)
    if "deleted_at" in table.c:
        statement = statement.where(table.c.deleted_at.is_(None))
    return await session.scalar(statement) is not None


async def _check(
    session: AsyncSession, principal: Principal, entity: str, index: int, action: InputModel
) -> list[UserError]:
    """What is wrong with one parsed action for rules on ``entity`` records."""
    errors: list[UserError] = []
    kind = action.type  # type: ignore[attr-defined]
    scope = ACTION_SCOPES[kind] or WRITE_SCOPES.get(entity)
    if scope is not None and not has_scope(principal, scope):
        errors.append(
            _error(ErrorCode.FORBIDDEN, f"requires the {scope.value} scope", index, "type")
        )
    match action:
        case AddToCampaign(campaign_id=campaign_id):
            if entity not in WITH_CONTACT:
                errors.append(
                    _error(ErrorCode.VALIDATION, f"{entity} has no contact", index, "type")
                )
            if not await _exists(session, Campaign, campaign_id):
                errors.append(
                    _error(
                        ErrorCode.INVALID_REFERENCE,
                        "no campaign with this id",
                        index,
                        "campaign_id",
                    )
                )
        case SetField(field=field, value=value):
            errors.extend(_check_set_field(entity, index, snake(field), value))
        case AssignOwner(team_id=team_id):
            if entity not in OWNER_FIELDS:
                errors.append(_error(ErrorCode.VALIDATION, f"{entity} has no owner", index, "type"))
            if not await _exists(session, Team, team_id):
                errors.append(
                    _error(ErrorCode.INVALID_REFERENCE, "no team with this id", index, "team_id")
                )
        case CreateInteraction() | CreateTicket():
            if entity not in WITH_CONTACT | WITH_CUSTOMER:
                message = f"{entity} has no customer or contact"
                errors.append(_error(ErrorCode.VALIDATION, message, index, "type"))
        case NotifyWebhook(endpoint_id=endpoint_id):
            if not await _exists(session, WebhookEndpoint, endpoint_id):
                errors.append(
                    _error(
                        ErrorCode.INVALID_REFERENCE,
                        "no webhook endpoint with this id",
                        index,
                        "endpoint_id",
                    )
                )
    return errors


def _check_set_field(entity: str, index: int, field: str, value: Any) -> list[UserError]:
    rules = ENTITY_RULES.get(entity)
    if rules is None:
        return [_error(ErrorCode.VALIDATION, f"{entity} records cannot be changed", index, "type")]
    if field not in rules.update_input.model_fields or field == "external_id":
        return [
            _error(ErrorCode.VALIDATION, f"{entity} has no settable field {field}", index, "field")
        ]
    try:
        rules.update_input.model_validate({field: value})
    except ValidationError as exc:
        return [
            _error(ErrorCode.VALIDATION, e.message, index, "value") for e in validation_errors(exc)
        ]
    return []


async def check_actions(
    session: AsyncSession, principal: Principal, entity: str, actions: Sequence[Mapping[str, Any]]
) -> tuple[list[dict[str, Any]], list[UserError]]:
    """The actions as stored (JSON), and what is wrong with them for rules on ``entity``."""
    stored: list[dict[str, Any]] = []
    errors: list[UserError] = []
    for index, raw in enumerate(actions):
        action, problems = _parse(index, raw)
        if action is not None:
            problems = await _check(session, principal, entity, index, action)
            stored.append(action.model_dump(mode="json"))
        errors.extend(problems)
    return stored, errors


@dataclass(frozen=True)
class RunContext:
    """What an action acts on: the rule, the triggering event and its record (a row mapping)."""

    principal: Principal
    rule: AutomationRule
    event: Event
    record: Mapping[str, Any] | None


def _record(context: RunContext) -> Mapping[str, Any]:
    if context.record is None:
        raise ServiceError.single(ErrorCode.NOT_FOUND, f"the {context.event.entity_type} is gone")
    return context.record


def _people(context: RunContext) -> dict[str, Any]:
    """The customer and contact an interaction or ticket about the record concerns."""
    entity, record = context.event.entity_type, _record(context)
    if entity == "contact":
        return {"contact_id": record["id"], "customer_id": record["customer_id"]}
    if entity == "customer":
        return {"customer_id": record["id"]}
    people = {key: record.get(key) for key in ("customer_id", "contact_id") if record.get(key)}
    if not people:
        raise ServiceError.single(ErrorCode.VALIDATION, f"the {entity} has no customer or contact")
    return people


async def run_action(
    session: AsyncSession, context: RunContext, raw: Mapping[str, Any]
) -> dict[str, Any]:
    """Do one action; returns what was done, for the run's record."""
    action = MODELS[raw["type"]].model_validate(dict(raw))
    principal, entity = context.principal, context.event.entity_type
    done: dict[str, Any] = {"type": raw["type"]}
    match action:
        case AddToCampaign(campaign_id=campaign_id):
            done.update(await _add_to_campaign(session, context, campaign_id))
        case SetField(field=field, value=value):
            rules = ENTITY_RULES[entity]
            await update_entity(
                session, principal, rules, context.event.entity_id, {snake(field): value}
            )
            done["field"] = snake(field)
        case AssignOwner(team_id=team_id):
            user_id = await _next_owner(session, context.rule, team_id)
            rules = ENTITY_RULES[entity]
            await update_entity(
                session, principal, rules, context.event.entity_id, {OWNER_FIELDS[entity]: user_id}
            )
            done["user_id"] = str(user_id)
        case CreateInteraction(kind=kind, subject=subject):
            values = {"kind": kind, "subject": subject, "occurred_at": utcnow(), **_people(context)}
            row = await create_entity(session, principal, INTERACTION_RULES, values)
            done["interaction_id"] = str(row.id)
        case CreateTicket(subject=subject, priority=priority):
            values = {"subject": subject, "priority": priority, **_people(context)}
            ticket = await create_entity(session, principal, TICKET_RULES, values)
            done["ticket_id"] = str(ticket.id)
        case NotifyWebhook(endpoint_id=endpoint_id):
            done.update(await _notify(session, context.event, endpoint_id))
    return done


SKIP_REASONS = {
    ExclusionReason.NO_MARKETING_CONSENT: "no marketing consent",
    ExclusionReason.ERASED: "erased",
}


async def _add_to_campaign(
    session: AsyncSession, context: RunContext, campaign_id: uuid.UUID
) -> dict[str, Any]:
    record = _record(context)
    contact_id = (
        record["id"] if context.event.entity_type == "contact" else record.get("contact_id")
    )
    if contact_id is None:
        return {"skipped": "no contact"}
    # The campaign's own rules: consent, closed campaigns, members added once.
    added = await add_campaign_members(
        session, context.principal, campaign_id, Selection(contact_ids=[contact_id])
    )
    if added.excluded:
        reason = SKIP_REASONS[added.excluded[0].reason]
        return {"skipped": reason, "contact_id": str(contact_id)}
    if added.already_members:
        return {"skipped": "already a member"}
    return {"member_id": str(added.added[0].id)}


async def _next_owner(session: AsyncSession, rule: AutomationRule, team_id: uuid.UUID) -> uuid.UUID:
    """The team's next active user after the one this rule assigned last (by name, then id)."""
    users = table_of(User)
    candidates = list(
        await session.scalars(
            select(users.c.id)
            .where(users.c.team_id == team_id, users.c.active.is_(True))
            .order_by(users.c.name, users.c.id)
        )
    )
    if not candidates:
        raise ServiceError.single(ErrorCode.INVALID_STATE, "the team has no active users")
    last = (rule.state.get("assign_owner") or {}).get(str(team_id))
    ids = [str(candidate) for candidate in candidates]
    chosen: uuid.UUID = (
        candidates[(ids.index(last) + 1) % len(ids)] if last in ids else candidates[0]
    )
    # A new dict: the JSON column is only written when the attribute is replaced.
    turns = {**(rule.state.get("assign_owner") or {}), str(team_id): str(chosen)}
    rule.state = {**rule.state, "assign_owner": turns}
    return chosen


async def _notify(session: AsyncSession, event: Event, endpoint_id: uuid.UUID) -> dict[str, Any]:
    if not await _exists(session, WebhookEndpoint, endpoint_id):
        raise ServiceError.single(ErrorCode.NOT_FOUND, "the webhook endpoint is gone")
    deliveries = table_of(WebhookDelivery)
    existing = await session.scalar(
        select(deliveries.c.id).where(
            deliveries.c.event_id == event.id, deliveries.c.endpoint_id == endpoint_id
        )
    )
    if existing is not None:  # the endpoint is subscribed to this event already
        return {"skipped": "already queued", "delivery_id": str(existing)}
    delivery = WebhookDelivery(
        event_position=event.position,  # type: ignore[arg-type]
        event_id=event.id,
        endpoint_id=endpoint_id,
        entity_id=event.entity_id,
    )
    session.add(delivery)
    await session.flush()
    touch(session, Topic.DELIVERIES)
    return {"delivery_id": str(delivery.id)}
