"""The real `crm serve`, delivering in-process (no REDIS_URL) to a receiver on loopback."""

from __future__ import annotations

import asyncio
import json
import statistics
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from standardwebhooks.webhooks import Webhook

from kernel.tables import table_of
from models.webhooks import DeliveryStatus, WebhookDelivery
from tests.webhooks.conftest import make_everything_due
from tests.webhooks.processes import Served, environment, serving
from tests.webhooks.receiver import Receiver

CREATE_ENDPOINT = """
mutation($url: String!) {
  createWebhookEndpoint(input: {url: $url, eventTypes: ["customer.*"]}) {
    webhookEndpoint { id } secret errors { code field message }
  }
}
"""
CREATE_CUSTOMER = """
mutation($name: String!) {
  createCustomer(input: {name: $name}) { customer { id } errors { code message } }
}
"""
RENAME_CUSTOMER = """
mutation($id: ID!, $name: String!) {
  updateCustomer(id: $id, input: {name: $name}) { customer { id } errors { code message } }
}
"""
deliveries = table_of(WebhookDelivery)
ATTEMPTS = """
{
  webhookEndpoints(first: 1) {
    nodes { deliveries(first: 5) { nodes { status webhookId attempts(first: 5) {
      nodes { statusCode } } } } }
  }
}
"""


@pytest.fixture
def server(database_url: str, tmp_path: Path) -> Iterator[Served]:
    with serving(environment(database_url), tmp_path / "serve.log") as served:
        yield served


@pytest.fixture
async def client(server: Served) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server.base, headers=server.headers, timeout=10) as c:
        yield c


async def _graphql(
    client: httpx.AsyncClient, query: str, variables: dict[str, Any] | None = None
) -> dict[str, Any]:
    response = await client.post("/graphql", json={"query": query, "variables": variables or {}})
    body: dict[str, Any] = response.json()
    assert response.status_code == 200, body
    assert "errors" not in body, body["errors"]
    [payload] = body["data"].values()
    assert payload.get("errors", []) == [], payload["errors"]
    return payload  # type: ignore[no-any-return]


async def _subscribe(client: httpx.AsyncClient, receiver: Receiver) -> str:
    """Register the receiver for customer events; returns the secret."""
    payload = await _graphql(client, CREATE_ENDPOINT, {"url": receiver.url})
    return str(payload["secret"])


async def _until_nothing_is_pending(session_factory: Any, within: float = 5) -> None:
    """Wait until the server has recorded the outcome of every delivery."""
    await _until(session_factory, deliveries.c.status == DeliveryStatus.PENDING, 0, within)


async def _until_attempts_recorded(session_factory: Any, count: int, within: float = 5) -> None:
    await _until(session_factory, deliveries.c.attempts >= count, 1, within)


async def _until(session_factory: Any, condition: Any, expected: int, within: float) -> None:
    deadline = time.monotonic() + within
    statement = select(func.count()).select_from(deliveries).where(condition)
    while True:
        async with session_factory() as session:
            if await session.scalar(statement) == expected:
                return
        assert time.monotonic() < deadline, f"no {expected} deliveries with {condition}"
        await asyncio.sleep(0.02)


async def test_a_change_is_delivered_signed_without_any_manual_dispatch(
    client: httpx.AsyncClient, receiver: Receiver
) -> None:
    secret = await _subscribe(client, receiver)

    await _graphql(client, CREATE_CUSTOMER, {"name": "Acme"})
    [request] = await receiver.wait_for(1, within=5)

    body = Webhook(secret).verify(request.body, request.headers)
    assert (body["type"], body["sequence"]) == ("customer.created", 1)
    assert body["data"]["object"]["name"] == "Acme"
    assert request.headers["webhook-id"] == body["id"]


async def test_changes_reach_the_receiver_well_within_a_second(
    client: httpx.AsyncClient, receiver: Receiver
) -> None:
    await _subscribe(client, receiver)
    created = await _graphql(client, CREATE_CUSTOMER, {"name": "Acme 0"})
    customer_id = created["customer"]["id"]
    await receiver.wait_for(1, within=5)

    # From sending the mutation (so an upper bound of commit-to-receipt) to the receiver.
    latencies = []
    for n in range(1, 21):
        started = time.monotonic()
        await _graphql(client, RENAME_CUSTOMER, {"id": customer_id, "name": f"Acme {n}"})
        request = (await receiver.wait_for(n + 1, within=5))[n]
        latencies.append(request.at - started)

    assert statistics.median(latencies) < 1.0, latencies
    sequences = [json.loads(r.body)["sequence"] for r in receiver.received]
    assert sequences == list(range(1, 22))


async def test_a_failing_receiver_gets_the_same_webhook_id_until_it_answers_2xx(
    client: httpx.AsyncClient, receiver: Receiver, session_factory: Any
) -> None:
    secret = await _subscribe(client, receiver)
    receiver.script = [500, 500]

    await _graphql(client, CREATE_CUSTOMER, {"name": "Acme"})
    first, second = await receiver.wait_for(2, within=20)  # the first retry comes after ~5 s
    await _until_attempts_recorded(session_factory, 2)
    await make_everything_due(session_factory)  # the next one would come after ~5 minutes
    *_, third = await receiver.wait_for(3, within=5)
    await _until_nothing_is_pending(session_factory)

    assert 4.4 < second.at - first.at < 7.5
    ids = {r.headers["webhook-id"] for r in (first, second, third)}
    assert len(ids) == 1
    for request in (first, second, third):
        assert Webhook(secret).verify(request.body, request.headers)["id"] in ids
    response = await client.post("/graphql", json={"query": ATTEMPTS})
    [endpoint] = response.json()["data"]["webhookEndpoints"]["nodes"]
    [delivery] = endpoint["deliveries"]["nodes"]
    assert delivery["status"] == "SUCCEEDED"
    assert delivery["webhookId"] in ids
    assert [a["statusCode"] for a in delivery["attempts"]["nodes"]] == [500, 500, 200]
