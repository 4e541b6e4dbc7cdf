"""A malformed global id anywhere inside an input object is a VALIDATION error at its path,
and nothing is written (found by `make fuzz`: these were INTERNAL_SERVER_ERROR)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from models import AutomationRule, WebhookEndpoint
from tests.conftest import GraphQLClient

ENDPOINT = """mutation { createWebhookEndpoint(input: {
  eventTypes: ["customer.created"], url: "https://erp.example.com/hook", connectionId: "" }) {
  webhookEndpoint { id } errors { code field } } }"""
RULE = """mutation { createAutomationRule(input: {
  name: "Route", trigger: "customer.created",
  actions: [{type: ASSIGN_OWNER, teamId: "not-an-id"}] }) {
  automationRule { id } errors { code field } } }"""


async def _count(session_factory: Any, model: Any) -> int:
    async with session_factory() as session:
        return int((await session.execute(select(func.count()).select_from(model))).scalar_one())


async def test_a_malformed_id_in_an_input_is_a_validation_error_at_its_field(
    gql: GraphQLClient, session_factory: Any
) -> None:
    data = await gql(ENDPOINT)

    assert data["createWebhookEndpoint"] == {
        "webhookEndpoint": None,
        "errors": [{"code": "VALIDATION", "field": ["input", "connectionId"]}],
    }
    assert await _count(session_factory, WebhookEndpoint) == 0


async def test_a_malformed_id_in_a_list_of_an_input_names_its_position(
    gql: GraphQLClient, session_factory: Any
) -> None:
    data = await gql(RULE)

    assert data["createAutomationRule"] == {
        "automationRule": None,
        "errors": [{"code": "VALIDATION", "field": ["input", "actions", "0", "teamId"]}],
    }
    assert await _count(session_factory, AutomationRule) == 0
