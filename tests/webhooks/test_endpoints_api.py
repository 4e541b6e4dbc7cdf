"""Webhook endpoints managed through GraphQL: secrets, validation, pausing, rotation, replay."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update
from standardwebhooks.webhooks import Webhook

from app.http.auth import issue_token
from app.settings import Settings
from kernel.principal import Principal, PrincipalKind
from kernel.tables import table_of
from kernel.unit_of_work import unit_of_work
from models import Event
from models.webhooks import DeliveryStatus, WebhookDelivery
from tests.conftest import GraphQLClient
from tests.webhooks.conftest import make_everything_due
from tests.webhooks.receiver import Receiver
from webhooks.dispatcher import Dispatcher

ENDPOINT_FIELDS = "id url description eventTypes state ordered maxConcurrency version"
CREATE = f"""
mutation($input: CreateWebhookEndpointInput!) {{
  createWebhookEndpoint(input: $input) {{
    webhookEndpoint {{ {ENDPOINT_FIELDS} }}
    secret
    errors {{ code field message }}
  }}
}}
"""
UPDATE = f"""
mutation($id: ID!, $input: UpdateWebhookEndpointInput!) {{
  updateWebhookEndpoint(id: $id, input: $input) {{
    webhookEndpoint {{ {ENDPOINT_FIELDS} }}
    errors {{ code field message }}
  }}
}}
"""
SET_STATE = """
mutation($id: ID!) {
  %s(id: $id) { webhookEndpoint { state } errors { code field message } }
}
"""
ROTATE = """
mutation($id: ID!) {
  rotateWebhookEndpointSecret(id: $id) { secret errors { code field message } }
}
"""
SEND_TEST = """
mutation($id: ID!) {
  sendWebhookTestEvent(id: $id) {
    delivery { id status webhookId event { type } endpoint { id } }
    errors { code field message }
  }
}
"""
RESEND = """
mutation($id: ID!) {
  resendWebhookDelivery(id: $id) {
    delivery { id status webhookId }
    errors { code field message }
  }
}
"""
RECOVER = """
mutation($id: ID!, $since: DateTime!) {
  recoverWebhookDeliveries(endpointId: $id, since: $since) { count errors { code field } }
}
"""
ENDPOINTS = """
{
  webhookEndpoints(first: 5) {
    totalCount
    nodes {
      id url
      deliveries(first: 10) {
        nodes {
          id status attemptCount webhookId
          event { type payload }
          attempts(first: 10) { nodes { number statusCode durationMs responseExcerpt error } }
        }
      }
    }
  }
}
"""
CREATE_CUSTOMER = """
mutation($name: String!) {
  createCustomer(input: {name: $name}) { customer { id } errors { code } }
}
"""


async def _create(gql: GraphQLClient, **input: Any) -> dict[str, Any]:
    payload: dict[str, Any] = (await gql(CREATE, {"input": input}))["createWebhookEndpoint"]
    return payload


async def _subscribe(gql: GraphQLClient, url: str, event_types: list[str]) -> tuple[str, str]:
    """An endpoint that must be created: (global id, secret)."""
    payload = await _create(gql, url=url, eventTypes=event_types)
    assert payload["errors"] == []
    return payload["webhookEndpoint"]["id"], payload["secret"]


async def _create_customer(gql: GraphQLClient, name: str) -> str:
    payload = (await gql(CREATE_CUSTOMER, {"name": name}))["createCustomer"]
    assert payload["errors"] == []
    return str(payload["customer"]["id"])


async def _endpoints(gql: GraphQLClient) -> dict[str, dict[str, Any]]:
    """Every endpoint by global id, with its deliveries and their attempts."""
    nodes = (await gql(ENDPOINTS))["webhookEndpoints"]["nodes"]
    return {node["id"]: node for node in nodes}


async def _deliveries(gql: GraphQLClient, endpoint_id: str) -> list[dict[str, Any]]:
    deliveries: list[dict[str, Any]] = (await _endpoints(gql))[endpoint_id]["deliveries"]["nodes"]
    return deliveries


class TestCreate:
    async def test_returns_the_endpoint_and_a_whsec_secret(
        self, gql: GraphQLClient, receiver: Receiver
    ) -> None:
        payload = await _create(
            gql, url=receiver.url, eventTypes=["deal.*", "customer.created"], description="ERP"
        )

        assert payload["errors"] == []
        assert payload["secret"].startswith("whsec_")
        endpoint = payload["webhookEndpoint"]
        assert endpoint["url"] == receiver.url
        assert endpoint["eventTypes"] == ["deal.*", "customer.created"]
        assert endpoint["description"] == "ERP"
        assert endpoint["state"] == "ENABLED"
        assert (await _endpoints(gql)).keys() == {endpoint["id"]}

    async def test_the_secret_cannot_be_read_back(self, gql: GraphQLClient) -> None:
        fields = await gql('{ __type(name: "WebhookEndpoint") { fields { name } } }')

        names = {field["name"] for field in fields["__type"]["fields"]}
        assert "url" in names
        assert not any("secret" in name.lower() for name in names)

    @pytest.mark.parametrize(
        "url",
        [
            "https://10.0.0.1/x",
            "https://169.254.169.254/",
            "https://[::1]/hooks",
            "https://192.168.1.20/hooks",
        ],
    )
    async def test_a_non_public_address_is_refused_and_nothing_written(
        self, gql: GraphQLClient, url: str
    ) -> None:
        payload = await _create(gql, url=url, eventTypes=["*"])

        assert payload["webhookEndpoint"] is None
        assert payload["secret"] is None
        assert [(e["code"], e["field"]) for e in payload["errors"]] == [
            ("VALIDATION", ["input", "url"])
        ]
        assert "non-public address" in payload["errors"][0]["message"]
        assert await _endpoints(gql) == {}

    async def test_an_unknown_event_type_is_refused_with_its_position(
        self, gql: GraphQLClient, receiver: Receiver
    ) -> None:
        payload = await _create(gql, url=receiver.url, eventTypes=["deal.*", "deal.exploded"])

        assert payload["webhookEndpoint"] is None
        assert [(e["code"], e["field"]) for e in payload["errors"]] == [
            ("VALIDATION", ["input", "eventTypes", "1"])
        ]
        assert await _endpoints(gql) == {}


async def test_update_changes_only_the_given_fields(gql: GraphQLClient, receiver: Receiver) -> None:
    created = (
        await _create(gql, url=receiver.url, eventTypes=["deal.*"], description="ERP", ordered=True)
    )["webhookEndpoint"]

    payload = (await gql(UPDATE, {"id": created["id"], "input": {"eventTypes": ["ticket.*"]}}))[
        "updateWebhookEndpoint"
    ]

    assert payload["errors"] == []
    assert payload["webhookEndpoint"] == {
        **created,
        "eventTypes": ["ticket.*"],
        "version": created["version"] + 1,
    }


async def test_update_refuses_a_private_url_and_keeps_the_old_one(
    gql: GraphQLClient, receiver: Receiver
) -> None:
    endpoint_id, _ = await _subscribe(gql, receiver.url, ["*"])

    payload = (await gql(UPDATE, {"id": endpoint_id, "input": {"url": "https://10.1.2.3/"}}))[
        "updateWebhookEndpoint"
    ]

    assert [(e["code"], e["field"]) for e in payload["errors"]] == [
        ("VALIDATION", ["input", "url"])
    ]
    assert (await _endpoints(gql))[endpoint_id]["url"] == receiver.url


async def test_a_disabled_endpoint_gets_no_deliveries_until_enabled(
    gql: GraphQLClient, receiver: Receiver, dispatcher: Dispatcher
) -> None:
    endpoint_id, _ = await _subscribe(gql, receiver.url, ["customer.*"])

    disabled = await gql(SET_STATE % "disableWebhookEndpoint", {"id": endpoint_id})
    await _create_customer(gql, "While paused")
    sent_while_disabled = await dispatcher.run_once()
    deliveries_while_disabled = await _deliveries(gql, endpoint_id)
    enabled = await gql(SET_STATE % "enableWebhookEndpoint", {"id": endpoint_id})
    await _create_customer(gql, "After resuming")
    sent_after = await dispatcher.run_once()

    assert disabled["disableWebhookEndpoint"]["webhookEndpoint"]["state"] == "DISABLED"
    assert enabled["enableWebhookEndpoint"]["webhookEndpoint"]["state"] == "ENABLED"
    assert (sent_while_disabled, deliveries_while_disabled) == (0, [])
    assert sent_after == 1
    [request] = receiver.received
    assert json.loads(request.body)["data"]["object"]["name"] == "After resuming"


async def test_after_rotation_a_delivery_verifies_with_the_old_and_the_new_secret(
    gql: GraphQLClient, receiver: Receiver, dispatcher: Dispatcher
) -> None:
    endpoint_id, old = await _subscribe(gql, receiver.url, ["customer.*"])

    rotated = (await gql(ROTATE, {"id": endpoint_id}))["rotateWebhookEndpointSecret"]
    await _create_customer(gql, "Acme")
    await dispatcher.run_once()

    new = rotated["secret"]
    assert rotated["errors"] == []
    assert new.startswith("whsec_")
    assert new != old
    [request] = receiver.received
    assert len(request.headers["webhook-signature"].split(" ")) == 2
    assert Webhook(old).verify(request.body, request.headers)["type"] == "customer.created"
    assert Webhook(new).verify(request.body, request.headers)["type"] == "customer.created"


async def test_a_test_event_goes_to_that_endpoint_only(
    gql: GraphQLClient, receiver: Receiver, dispatcher: Dispatcher
) -> None:
    tested, secret = await _subscribe(gql, receiver.url, ["*"])
    other, _ = await _subscribe(gql, receiver.url.replace("/hooks", "/other"), ["*"])

    payload = (await gql(SEND_TEST, {"id": tested}))["sendWebhookTestEvent"]
    sent = await dispatcher.run_once()

    assert payload["errors"] == []
    delivery = payload["delivery"]
    assert delivery["status"] == "PENDING"
    assert delivery["event"] == {"type": "webhook_endpoint.test"}
    assert delivery["endpoint"] == {"id": tested}
    assert sent == 1
    [request] = receiver.received
    assert request.path == "/hooks"
    body = Webhook(secret).verify(request.body, request.headers)
    assert (body["type"], request.headers["webhook-id"]) == (
        "webhook_endpoint.test",
        delivery["webhookId"],
    )
    assert await _deliveries(gql, other) == []


async def test_deliveries_list_every_attempt_with_status_latency_and_excerpt(
    gql: GraphQLClient, receiver: Receiver, dispatcher: Dispatcher
) -> None:
    endpoint_id, _ = await _subscribe(gql, receiver.url, ["customer.*"])
    receiver.script = [("status", 500, {}, b"database down")]
    await _create_customer(gql, "Acme")

    await dispatcher.run_once()
    await make_everything_due(dispatcher.session_factory)
    await dispatcher.run_once()

    [delivery] = await _deliveries(gql, endpoint_id)
    assert (delivery["status"], delivery["attemptCount"]) == ("SUCCEEDED", 2)
    assert delivery["event"]["type"] == "customer.created"
    assert delivery["event"]["payload"]["object"]["name"] == "Acme"
    assert delivery["webhookId"] == receiver.received[0].headers["webhook-id"]
    attempts = delivery["attempts"]["nodes"]
    assert [(a["number"], a["statusCode"], a["responseExcerpt"]) for a in attempts] == [
        (1, 500, "database down"),
        (2, 200, "ok"),
    ]
    assert all(isinstance(a["durationMs"], int) and a["durationMs"] >= 0 for a in attempts)
    assert all(a["error"] is None for a in attempts)


async def test_resend_queues_a_succeeded_delivery_again_with_the_same_webhook_id(
    gql: GraphQLClient, receiver: Receiver, dispatcher: Dispatcher
) -> None:
    endpoint_id, secret = await _subscribe(gql, receiver.url, ["customer.*"])
    await _create_customer(gql, "Acme")
    await dispatcher.run_once()
    [delivered] = await _deliveries(gql, endpoint_id)

    payload = (await gql(RESEND, {"id": delivered["id"]}))["resendWebhookDelivery"]
    sent = await dispatcher.run_once()

    assert delivered["status"] == "SUCCEEDED"
    assert payload == {
        "delivery": {
            "id": delivered["id"],
            "status": "PENDING",
            "webhookId": delivered["webhookId"],
        },
        "errors": [],
    }
    assert sent == 1
    first, second = receiver.received
    assert first.headers["webhook-id"] == second.headers["webhook-id"] == delivered["webhookId"]
    assert Webhook(secret).verify(second.body, second.headers)["type"] == "customer.created"
    [after] = await _deliveries(gql, endpoint_id)
    assert (after["status"], after["attemptCount"]) == ("SUCCEEDED", 2)


async def test_recover_requeues_failed_deliveries_since_a_time_and_counts_them(
    gql: GraphQLClient, receiver: Receiver, dispatcher: Dispatcher
) -> None:
    endpoint_id, _ = await _subscribe(gql, receiver.url, ["customer.*"])
    for name in ("Old failure", "Recent failure", "Recent success"):
        await _create_customer(gql, name)
    since = datetime.now(UTC) - timedelta(hours=1)
    await _set_outcomes(
        dispatcher,
        {
            "Old failure": (DeliveryStatus.FAILED, since - timedelta(hours=1)),
            "Recent failure": (DeliveryStatus.FAILED, since + timedelta(minutes=1)),
            "Recent success": (DeliveryStatus.SUCCEEDED, since + timedelta(minutes=1)),
        },
    )

    payload = (await gql(RECOVER, {"id": endpoint_id, "since": since.isoformat()}))[
        "recoverWebhookDeliveries"
    ]
    sent = await dispatcher.run_once()

    assert payload == {"count": 1, "errors": []}
    assert sent == 1
    [request] = receiver.received
    assert json.loads(request.body)["data"]["object"]["name"] == "Recent failure"
    statuses = {
        d["event"]["payload"]["object"]["name"]: d["status"]
        for d in await _deliveries(gql, endpoint_id)
    }
    assert statuses == {
        "Old failure": "FAILED",
        "Recent failure": "SUCCEEDED",
        "Recent success": "SUCCEEDED",
    }


async def _set_outcomes(
    dispatcher: Dispatcher, outcomes: dict[str, tuple[DeliveryStatus, datetime]]
) -> None:
    """Give each customer's delivery a final status and a creation time, as if long done."""
    deliveries = table_of(WebhookDelivery)
    async with unit_of_work(dispatcher.session_factory) as session:
        rows = (await session.scalars(select(WebhookDelivery))).all()
        names = {row.id: await _customer_name(session, row.event_id) for row in rows}
        for delivery_id, name in names.items():
            status, created_at = outcomes[name]
            await session.execute(
                update(deliveries)
                .where(deliveries.c.id == delivery_id)
                .values(status=status, created_at=created_at, finished_at=created_at, attempts=10)
            )


async def _customer_name(session: Any, event_id: Any) -> str:
    event = await session.scalar(select(Event).where(table_of(Event).c.id == event_id))
    return str(event.payload["object"]["name"])


class TestWithoutTheScope:
    @pytest.fixture
    def sales_rep(self, http: httpx.AsyncClient, settings: Settings) -> GraphQLClient:
        principal = Principal("x", PrincipalKind.OPERATOR, role="sales_rep")
        return GraphQLClient(http, issue_token(settings, principal))

    async def test_create_is_forbidden_and_writes_nothing(
        self, sales_rep: GraphQLClient, gql: GraphQLClient, receiver: Receiver
    ) -> None:
        errors = await sales_rep.errors(
            CREATE, {"input": {"url": receiver.url, "eventTypes": ["*"]}}
        )

        assert [(e["extensions"]["code"], e["path"]) for e in errors] == [
            ("FORBIDDEN", ["createWebhookEndpoint"])
        ]
        assert await _endpoints(gql) == {}

    async def test_listing_endpoints_is_forbidden(
        self, sales_rep: GraphQLClient, gql: GraphQLClient, receiver: Receiver
    ) -> None:
        await _subscribe(gql, receiver.url, ["*"])

        errors = await sales_rep.errors(ENDPOINTS)

        assert [(e["extensions"]["code"], e["path"]) for e in errors] == [
            ("FORBIDDEN", ["webhookEndpoints"])
        ]

    @pytest.mark.parametrize(
        "mutation",
        [
            SET_STATE % "disableWebhookEndpoint",
            SET_STATE % "enableWebhookEndpoint",
            ROTATE,
            SEND_TEST,
        ],
    )
    async def test_managing_an_endpoint_is_forbidden(
        self, sales_rep: GraphQLClient, gql: GraphQLClient, receiver: Receiver, mutation: str
    ) -> None:
        endpoint_id, _ = await _subscribe(gql, receiver.url, ["*"])

        errors = await sales_rep.errors(mutation, {"id": endpoint_id})

        assert [e["extensions"]["code"] for e in errors] == ["FORBIDDEN"]
