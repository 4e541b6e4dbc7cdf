"""Writing automation rules (scope campaigns:write, plus the scopes of the rule's actions)."""

from __future__ import annotations

import contextlib
from typing import Any

import strawberry
from strawberry.scalars import JSON

from kernel.errors import InvalidArgumentError
from kernel.permissions import Scope
from resolvers.campaigns.automation import rules as service
from schema.campaigns.automation import AutomationActionType, AutomationRule, conditions_filter
from schema.context import Info
from schema.customers.interactions import InteractionKind
from schema.errors import UserError
from schema.ids import decode_id
from schema.inputs import UNSET, to_values
from schema.permissions import requires
from schema.services import node_pk, run_service
from schema.tickets.enums import TicketPriority

WRITE = [requires(Scope.CAMPAIGNS_WRITE)]


@strawberry.input(description="One action of a rule; give the fields its type uses.")
class AutomationActionInput:
    type: AutomationActionType
    campaign_id: strawberry.ID | None = UNSET
    field: str | None = strawberry.field(
        default=UNSET, description="set_field: a field of the record's update input."
    )
    value: JSON | None = strawberry.field(
        default=UNSET, description="set_field: the value, as in the update mutation (ids global)."
    )
    team_id: strawberry.ID | None = UNSET
    kind: InteractionKind | None = UNSET
    subject: str | None = UNSET
    priority: TicketPriority | None = UNSET
    endpoint_id: strawberry.ID | None = UNSET


@strawberry.input(description="A new automation rule.")
class CreateAutomationRuleInput:
    name: str
    description: str | None = UNSET
    trigger: str = strawberry.field(description="An event type, e.g. `contact.created`.")
    conditions: JSON | None = strawberry.field(
        default=UNSET,
        description="The filter input of the trigger's record type (e.g. `ContactFilter`); "
        "the rule runs only for records it matches.",
    )
    actions: list[AutomationActionInput]
    active: bool | None = UNSET


@strawberry.input(description="Changes to a rule; only the given fields change.")
class UpdateAutomationRuleInput:
    name: str | None = UNSET
    description: str | None = UNSET
    trigger: str | None = UNSET
    conditions: JSON | None = UNSET
    actions: list[AutomationActionInput] | None = UNSET
    active: bool | None = UNSET


@strawberry.type(description="A rule as written, or why not.")
class AutomationRulePayload:
    automation_rule: AutomationRule | None
    errors: list[UserError]


def _values(input: Any) -> dict[str, Any]:
    values: dict[str, Any] = to_values(input)
    for action in values.get("actions") or []:
        value = action.get("value")
        if str(action.get("field", "")).endswith("Id") and isinstance(value, str):
            # Not a global id: the field's own validation reports it.
            with contextlib.suppress(InvalidArgumentError):
                action["value"] = str(decode_id(value, "value")[1])
    if "conditions" in values and values["conditions"] is None:
        values["conditions"] = {}
    return values


def _payload(result: Any) -> AutomationRulePayload:
    if isinstance(result, list):
        return AutomationRulePayload(automation_rule=None, errors=result)
    return AutomationRulePayload(automation_rule=AutomationRule.from_row(result), errors=[])


@strawberry.type
class AutomationMutation:
    @strawberry.mutation(description="Create an automation rule.", permission_classes=WRITE)
    async def create_automation_rule(
        self, info: Info, input: CreateAutomationRuleInput
    ) -> AutomationRulePayload:
        result = await run_service(
            info, lambda s, p: service.create_rule(s, p, _values(input), conditions_filter)
        )
        return _payload(result)

    @strawberry.mutation(
        description="Change an automation rule (activate or pause it with `active`).",
        permission_classes=WRITE,
    )
    async def update_automation_rule(
        self,
        info: Info,
        id: strawberry.ID,
        input: UpdateAutomationRuleInput,
        expected_version: int | None = None,
    ) -> AutomationRulePayload:
        result = await run_service(
            info,
            lambda s, p: service.update_rule(
                s,
                p,
                node_pk(id, "AutomationRule"),
                _values(input),
                conditions_filter,
                expected_version,
            ),
        )
        return _payload(result)

    @strawberry.mutation(
        description="Delete an automation rule; its runs stay.", permission_classes=WRITE
    )
    async def delete_automation_rule(
        self, info: Info, id: strawberry.ID, expected_version: int | None = None
    ) -> AutomationRulePayload:
        result = await run_service(
            info,
            lambda s, p: service.delete_rule(s, p, node_pk(id, "AutomationRule"), expected_version),
        )
        return _payload(result)
