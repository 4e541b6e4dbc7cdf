"""Delivery by `crm worker` processes (arq on Redis), and dispatchers racing on PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import signal
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from standardwebhooks.webhooks import Webhook

from kernel.crud import create_entity
from kernel.principal import SYSTEM
from kernel.unit_of_work import unit_of_work
from resolvers.customers.service import CUSTOMER_RULES
from tests.webhooks.processes import Served, environment, serving, working
from tests.webhooks.receiver import Receiver
from webhooks.dispatcher import Dispatcher, DispatchSettings

REDIS_URL = "redis://127.0.0.1:6379/14"
LEASE_SECONDS = 3
CREATE_ENDPOINT = """
mutation($url: String!) {
  createWebhookEndpoint(input: {url: $url, eventTypes: ["customer.*"]}) {
    secret errors { code field message }
  }
}
"""
CREATE_CUSTOMER = """
mutation($name: String!) {
  createCustomer(input: {name: $name}) { customer { id } errors { code message } }
}
"""


@pytest.fixture
def redis_url() -> Iterator[str]:
    """Redis database 14, empty before and after the test; the test is skipped without Redis."""
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.exceptions.ConnectionError:
        pytest.skip(f"Redis is not reachable at {REDIS_URL}")
    client.flushdb()
    try:
        yield REDIS_URL
    finally:
        client.flushdb()
        client.close()


@pytest.fixture
def env(database_url: str, redis_url: str) -> dict[str, str]:
    """Processes that deliver through arq, with a short lease so a dead worker's one expires."""
    return environment(
        database_url,
        REDIS_URL=redis_url,
        WEBHOOK_LEASE_SECONDS=str(LEASE_SECONDS),
        WEBHOOK_TIMEOUT_SECONDS="2",
    )


@pytest.fixture
def server(env: dict[str, str], tmp_path: Path) -> Iterator[Served]:
    with serving(env, tmp_path / "serve.log") as served:
        yield served


@pytest.fixture
async def client(server: Served) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server.base, headers=server.headers, timeout=10) as c:
        yield c


async def _graphql(client: httpx.AsyncClient, query: str, **variables: Any) -> dict[str, Any]:
    body: dict[str, Any] = (
        await client.post("/graphql", json={"query": query, "variables": variables})
    ).json()
    assert "errors" not in body, body["errors"]
    [payload] = body["data"].values()
    assert payload["errors"] == [], payload["errors"]
    return payload  # type: ignore[no-any-return]


async def _subscribe(client: httpx.AsyncClient, receiver: Receiver) -> str:
    return str((await _graphql(client, CREATE_ENDPOINT, url=receiver.url))["secret"])


async def test_a_change_is_delivered_by_the_worker(
    client: httpx.AsyncClient, receiver: Receiver, env: dict[str, str], tmp_path: Path
) -> None:
    secret = await _subscribe(client, receiver)

    with working(env, tmp_path / "worker.log"):
        await _graphql(client, CREATE_CUSTOMER, name="Acme")
        [request] = await receiver.wait_for(1, within=15)

    body = Webhook(secret).verify(request.body, request.headers)
    assert body["type"] == "customer.created"
    assert body["data"]["object"]["name"] == "Acme"


async def test_each_commit_wakes_the_worker_without_waiting_for_the_sweep(
    client: httpx.AsyncClient, receiver: Receiver, env: dict[str, str], tmp_path: Path
) -> None:
    await _subscribe(client, receiver)

    with working(env, tmp_path / "worker.log"):
        await _graphql(client, CREATE_CUSTOMER, name="Acme 0")
        await receiver.wait_for(1, within=15)  # the worker is up
        latencies = []
        for n in range(1, 6):
            started = time.monotonic()
            await _graphql(client, CREATE_CUSTOMER, name=f"Acme {n}")
            latencies.append((await receiver.wait_for(n + 1, within=10))[n].at - started)

    # The cron sweep runs every 5 s: five deliveries all under 2.5 s need the wake-ups.
    assert max(latencies) < 2.5, latencies


async def test_a_delivery_of_a_killed_worker_is_sent_again_with_the_same_webhook_id(
    client: httpx.AsyncClient, receiver: Receiver, env: dict[str, str], tmp_path: Path
) -> None:
    secret = await _subscribe(client, receiver)
    receiver.script = ["hang"]

    with working(env, tmp_path / "worker.log") as doomed:
        await _graphql(client, CREATE_CUSTOMER, name="Acme")
        [first] = await receiver.wait_for(1, within=15)
        doomed.send_signal(signal.SIGKILL)  # mid-delivery: the receiver has not answered
        doomed.wait(timeout=5)
    with working(env, tmp_path / "worker.log"):
        second = (await receiver.wait_for(2, within=LEASE_SECONDS + 15))[1]

    assert doomed.returncode == -signal.SIGKILL
    assert second.at - first.at >= LEASE_SECONDS - 0.5  # not before the lease ran out
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    assert first.body == second.body
    assert Webhook(secret).verify(second.body, second.headers)["data"]["object"]["name"] == "Acme"


async def test_two_dispatchers_claiming_at_once_never_share_a_delivery(
    session_factory: Any, subscribe: Any
) -> None:
    async with session_factory() as session:
        if session.get_bind().dialect.name != "postgresql":
            pytest.skip("concurrent claims (FOR UPDATE SKIP LOCKED) need PostgreSQL")
    await subscribe(["customer.*"])
    async with unit_of_work(session_factory) as session:
        for n in range(50):
            await create_entity(session, SYSTEM, CUSTOMER_RULES, {"name": f"Customer {n}"})
    settings = DispatchSettings(batch_size=30)
    first, second = Dispatcher(session_factory, settings), Dispatcher(session_factory, settings)

    claimed = await asyncio.gather(first.claim(), second.claim())

    ids = [[item.delivery_id for item in batch] for batch in claimed]
    assert sorted(len(batch) for batch in ids) == [20, 30]
    assert set(ids[0]).isdisjoint(ids[1])
    names = {json.loads(item.body)["data"]["object"]["name"] for batch in claimed for item in batch}
    assert names == {f"Customer {n}" for n in range(50)}
