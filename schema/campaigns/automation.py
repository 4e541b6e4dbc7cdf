"""Marketing automation rules and their runs, and rule conditions written in the API's filter
inputs."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import strawberry
from strawberry.scalars import JSON

from models import AutomationRunStatus as AutomationRunStatusModel
from resolvers.campaigns.automation.actions import ActionType
from resolvers.campaigns.automation.conditions import conditions_filter as conditions_filter
from resolvers.campaigns.automation.rules import trigger_entity
from resolvers.graph import RUNS_BY_RULE
from schema.connections import connection_field, lazy, order_input, to_one
from schema.customers.interactions import InteractionKind
from schema.filters import (
    BooleanFilter,
    DateTimeFilter,
    IDFilter,
    StringFilter,
    enum_filter,
)
from schema.ids import encode_id
from schema.node import Node
from schema.tickets.enums import TicketPriority

AutomationRunStatus = strawberry.enum(AutomationRunStatusModel, name="AutomationRunStatus")
AutomationActionType = strawberry.enum(
    ActionType, name="AutomationActionType", description="What an automation action does."
)
AutomationRunStatusFilter = enum_filter(AutomationRunStatusModel, "AutomationRunStatusFilter")
AutomationRuleOrder = order_input("automation_rule", "AutomationRule")
AutomationRunOrder = order_input("automation_run", "AutomationRun")


def _type_name(entity: str) -> str:
    return "".join(part.title() for part in entity.split("_"))


@strawberry.type(description="One thing a rule does when it runs.")
class AutomationAction:
    type: AutomationActionType
    campaign_id: strawberry.ID | None = strawberry.field(
        default=None, description="add_to_campaign: the campaign the record's contact joins."
    )
    field: str | None = strawberry.field(default=None, description="set_field: the field.")
    value: JSON | None = strawberry.field(default=None, description="set_field: its new value.")
    team_id: strawberry.ID | None = strawberry.field(
        default=None, description="assign_owner: the team whose active users take turns."
    )
    kind: InteractionKind | None = strawberry.field(
        default=None, description="create_interaction: the kind of interaction."
    )
    subject: str | None = strawberry.field(
        default=None, description="create_interaction, create_ticket: the subject."
    )
    priority: TicketPriority | None = strawberry.field(
        default=None, description="create_ticket: the priority."
    )
    endpoint_id: strawberry.ID | None = strawberry.field(
        default=None, description="notify_webhook: the endpoint the triggering event goes to."
    )

    @classmethod
    def from_stored(cls, stored: Mapping[str, Any]) -> AutomationAction:
        ids = {"campaign_id": "Campaign", "team_id": "Team", "endpoint_id": "WebhookEndpoint"}
        values: dict[str, Any] = {"type": ActionType(stored["type"])}
        for name, value in stored.items():
            if name == "type":
                continue
            values[name] = (
                strawberry.ID(encode_id(ids[name], value)) if name in ids and value else value
            )
        return cls(**values)


@strawberry.input(description="Conditions on automation runs.")
class AutomationRunFilter:
    id: IDFilter | None = strawberry.UNSET
    rule_id: IDFilter | None = strawberry.UNSET
    status: AutomationRunStatusFilter | None = strawberry.UNSET
    event_type: StringFilter | None = strawberry.UNSET
    created_at: DateTimeFilter | None = strawberry.UNSET
    and_: list[AutomationRunFilter] | None = strawberry.field(name="and", default=strawberry.UNSET)
    or_: list[AutomationRunFilter] | None = strawberry.field(name="or", default=strawberry.UNSET)
    not_: AutomationRunFilter | None = strawberry.field(name="not", default=strawberry.UNSET)


@strawberry.input(description="Conditions on automation rules.")
class AutomationRuleFilter:
    id: IDFilter | None = strawberry.UNSET
    name: StringFilter | None = strawberry.UNSET
    trigger: StringFilter | None = strawberry.UNSET
    active: BooleanFilter | None = strawberry.UNSET
    created_at: DateTimeFilter | None = strawberry.UNSET
    and_: list[AutomationRuleFilter] | None = strawberry.field(name="and", default=strawberry.UNSET)
    or_: list[AutomationRuleFilter] | None = strawberry.field(name="or", default=strawberry.UNSET)
    not_: AutomationRuleFilter | None = strawberry.field(name="not", default=strawberry.UNSET)


@strawberry.type(description="One run of a rule for one event: at most one per rule and event.")
class AutomationRun(Node):
    event_type: str
    status: AutomationRunStatus = strawberry.field(
        description="skipped: the record did not match; stopped: the chain of rule-caused "
        "events reached the depth limit."
    )
    depth: int = strawberry.field(description="How many rule runs led to the event.")
    actions_done: JSON = strawberry.field(description="What each action did, in order.")
    error: str | None
    created_at: datetime
    rule_id: strawberry.Private[Any]
    event_id: strawberry.Private[Any]
    entity_id: strawberry.Private[Any]

    rule = to_one(
        lazy("AutomationRule", "schema.campaigns.automation"),
        "rule_id",
        "automation_rule",
        "The rule.",
    )

    @strawberry.field(description="The triggering event's id (its webhook-id).")
    def webhook_id(self) -> str:
        return str(self.event_id)

    @strawberry.field(description="The global id of the event's record.")
    def record_id(self) -> strawberry.ID:
        entity = trigger_entity(self.event_type)
        return strawberry.ID(encode_id(_type_name(entity), self.entity_id))


@strawberry.type(description="When an event happens and its record matches, do the actions.")
class AutomationRule(Node):
    name: str
    description: str | None
    trigger: str = strawberry.field(description="The event type the rule reacts to.")
    conditions: JSON = strawberry.field(
        description="The filter input of the trigger's record type (e.g. `ContactFilter`)."
    )
    active: bool
    version: int
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None
    stored_actions: strawberry.Private[Any]

    @classmethod
    def from_row(cls, row: Any) -> AutomationRule:
        rule = super().from_row(_RuleRow(row))
        return rule

    @strawberry.field(description="What the rule does, in order.")
    def actions(self) -> list[AutomationAction]:
        return [AutomationAction.from_stored(action) for action in self.stored_actions]

    runs = connection_field(
        RUNS_BY_RULE,
        AutomationRun,
        AutomationRunFilter,
        AutomationRunOrder,
        "created_at",
        "The rule's runs.",
    )


class _RuleRow:
    """A rule row whose actions are read as `stored_actions`."""

    def __init__(self, row: Any) -> None:
        self._row = row

    def __getattr__(self, name: str) -> Any:
        return getattr(self._row, "actions" if name == "stored_actions" else name)
