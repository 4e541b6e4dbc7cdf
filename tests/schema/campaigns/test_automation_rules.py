"""Automation rules through GraphQL: writing them, typed errors, permissions, runs."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from app.http.asgi import create_app
from resolvers.campaigns.automation.engine import process_pending
from schema.campaigns.automation import conditions_filter
from tests.conftest import GraphQLClient
from tests.factories import gid
from tests.schema.test_permissions import role_client

CREATE = """
mutation($input: CreateAutomationRuleInput!) {
  createAutomationRule(input: $input) {
    automationRule { id name trigger conditions active actions { type campaignId field value } }
    errors { code field message }
  }
}
"""


def rule_input(**values: Any) -> dict[str, Any]:
    return {
        "name": "Welcome",
        "trigger": "contact.created",
        "actions": [{"type": "SET_FIELD", "field": "title", "value": "Lead"}],
        **values,
    }


async def create(gql: GraphQLClient, **values: Any) -> dict[str, Any]:
    data = await gql(CREATE, {"input": rule_input(**values)})
    return data["createAutomationRule"]  # type: ignore[no-any-return]


async def test_marketing_creates_a_rule_with_conditions_and_actions(
    http: httpx.AsyncClient, settings: Any, make: Any
) -> None:
    campaign = await make.campaign()
    marketing = role_client(http, settings, "marketing")

    payload = await create(
        marketing,
        conditions={"email": {"contains": "@acme.com"}},
        actions=[{"type": "ADD_TO_CAMPAIGN", "campaignId": gid("Campaign", campaign)}],
    )

    assert payload["errors"] == []
    rule = payload["automationRule"]
    assert rule["conditions"] == {"email": {"contains": "@acme.com"}}
    assert rule["actions"] == [
        {
            "type": "ADD_TO_CAMPAIGN",
            "campaignId": gid("Campaign", campaign),
            "field": None,
            "value": None,
        }
    ]


async def test_an_unknown_trigger_is_a_validation_error(gql: GraphQLClient) -> None:
    payload = await create(gql, trigger="contact.teleported")

    assert [(e["code"], e["field"]) for e in payload["errors"]] == [
        ("VALIDATION", ["input", "trigger"])
    ]


async def test_invalid_conditions_are_reported_at_their_path(gql: GraphQLClient) -> None:
    payload = await create(
        gql, conditions={"firstName": {"eqq": "Ada"}, "createdAt": {"gt": "yesterday"}}
    )

    assert sorted((e["code"], e["field"]) for e in payload["errors"]) == [
        ("VALIDATION", ["input", "conditions", "createdAt", "gt"]),
        ("VALIDATION", ["input", "conditions", "firstName"]),
    ]


async def test_conditions_use_the_filter_of_the_trigger_record_type(gql: GraphQLClient) -> None:
    payload = await create(
        gql,
        trigger="deal.won",
        conditions={"firstName": {"eq": "Ada"}},
        actions=[{"type": "SET_FIELD", "field": "name", "value": "Won"}],
    )

    assert [e["field"] for e in payload["errors"]] == [["input", "conditions"]]


async def test_an_action_missing_its_fields_is_a_validation_error(gql: GraphQLClient) -> None:
    payload = await create(gql, actions=[{"type": "ADD_TO_CAMPAIGN"}])

    assert [(e["code"], e["field"]) for e in payload["errors"]] == [
        ("VALIDATION", ["input", "actions", "0", "campaignId"])
    ]


async def test_an_action_naming_a_missing_campaign_is_an_invalid_reference(
    gql: GraphQLClient,
) -> None:
    missing = "Q2FtcGFpZ246MDAwMDAwMDAtMDAwMC0wMDAwLTAwMDAtMDAwMDAwMDAwMDAw"
    payload = await create(gql, actions=[{"type": "ADD_TO_CAMPAIGN", "campaignId": missing}])

    assert [(e["code"], e["field"]) for e in payload["errors"]] == [
        ("INVALID_REFERENCE", ["input", "actions", "0", "campaignId"])
    ]


async def test_set_field_is_checked_against_the_record_update_input(gql: GraphQLClient) -> None:
    payload = await create(
        gql,
        actions=[
            {"type": "SET_FIELD", "field": "shoeSize", "value": 42},
            {"type": "SET_FIELD", "field": "email", "value": "not an email"},
        ],
    )

    assert [(e["code"], e["field"]) for e in payload["errors"]] == [
        ("VALIDATION", ["input", "actions", "0", "field"]),
        ("VALIDATION", ["input", "actions", "1", "value"]),
    ]


async def test_a_rule_name_is_unique(gql: GraphQLClient) -> None:
    await create(gql)

    payload = await create(gql)

    assert [(e["code"], e["field"]) for e in payload["errors"]] == [
        ("DUPLICATE", ["input", "name"])
    ]


async def test_a_role_without_campaigns_write_may_not_write_rules(
    http: httpx.AsyncClient, settings: Any
) -> None:
    sales = role_client(http, settings, "sales_rep")

    errors = await sales.errors(CREATE, {"input": rule_input()})

    assert {e["extensions"]["code"] for e in errors} == {"FORBIDDEN"}


async def test_an_action_needs_the_scope_of_what_it_writes(
    http: httpx.AsyncClient, settings: Any, make: Any
) -> None:
    endpoint_id = "V2ViaG9va0VuZHBvaW50OjAwMDAwMDAwLTAwMDAtMDAwMC0wMDAwLTAwMDAwMDAwMDAwMA=="
    marketing = role_client(http, settings, "marketing")

    payload = await create(
        marketing, actions=[{"type": "NOTIFY_WEBHOOK", "endpointId": endpoint_id}]
    )

    assert ("FORBIDDEN", ["input", "actions", "0", "type"]) in [
        (e["code"], e["field"]) for e in payload["errors"]
    ]


async def test_update_and_delete_a_rule(gql: GraphQLClient) -> None:
    rule = (await create(gql))["automationRule"]

    updated = await gql(
        """mutation($id: ID!) { updateAutomationRule(id: $id, input: {active: false}) {
            automationRule { active } errors { code } } }""",
        {"id": rule["id"]},
    )
    deleted = await gql(
        """mutation($id: ID!) { deleteAutomationRule(id: $id) {
            automationRule { deletedAt } errors { code } } }""",
        {"id": rule["id"]},
    )

    assert updated["updateAutomationRule"]["automationRule"] == {"active": False}
    assert deleted["deleteAutomationRule"]["automationRule"]["deletedAt"] is not None


RUNS = """
query($filter: AutomationRunFilter) {
  automationRuns(filter: $filter) {
    totalCount
    nodes { status eventType depth error rule { name runs { totalCount } } }
  }
}
"""


async def test_runs_are_listed_by_rule_status_and_event_type(
    gql: GraphQLClient, make: Any, session_factory: Any
) -> None:
    rule = await make.automation_rule(name="Acme", conditions={"lastName": {"eq": "Acme"}})
    await make.contact(last_name="Acme")
    await make.contact(last_name="Other")
    await process_pending(session_factory, conditions_filter)

    data = await gql(
        RUNS,
        {
            "filter": {
                "ruleId": {"eq": gid("AutomationRule", rule)},
                "status": {"eq": "SKIPPED"},
                "eventType": {"eq": "contact.created"},
            }
        },
    )

    assert data["automationRuns"]["totalCount"] == 1
    [run] = data["automationRuns"]["nodes"]
    assert run == {
        "status": "SKIPPED",
        "eventType": "contact.created",
        "depth": 0,
        "error": None,
        "rule": {"name": "Acme", "runs": {"totalCount": 2}},
    }


async def test_the_app_runs_rules_after_a_mutation(settings: Any, admin_token: str) -> None:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://crm.test") as http:
            gql = GraphQLClient(http, admin_token)
            await create(gql)
            await gql(
                'mutation { createContact(input: {lastName: "Lovelace"}) { errors { code } } }'
            )

            for _ in range(100):
                data = await gql("{ contacts { nodes { title } } automationRuns { totalCount } }")
                if data["automationRuns"]["totalCount"]:
                    break
                await asyncio.sleep(0.05)

    assert data["automationRuns"]["totalCount"] == 1
    assert data["contacts"]["nodes"] == [{"title": "Lead"}]
