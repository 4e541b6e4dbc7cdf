"""`Idempotency-Key` on `/graphql`: a partner's mutation runs once per (principal, key).

Partners get their tokens at `/oauth/token` and talk to the app served by uvicorn on loopback.
"""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from typing import Any

import httpx
import pytest
import uvicorn
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app import idempotency
from app.jobs.retention import purge_once
from app.settings import Settings
from kernel.tables import table_of
from kernel.unit_of_work import unit_of_work
from models import Customer, utcnow
from resolvers.identity.clients import create_api_client
from tests.conftest import ADMIN

Factory = async_sessionmaker[AsyncSession]
Partner = Callable[..., Awaitable[httpx.AsyncClient]]

CREATE = """
mutation($name: String!) {
  createCustomer(input: {name: $name}) { customer { id name } errors { code field message } }
}
"""
WRITE = ("customers:read", "customers:write")
customers = table_of(Customer)
keys = idempotency.keys


@pytest.fixture(scope="module")
async def base_url(app: Any) -> AsyncIterator[str]:
    """The test app served over HTTP on loopback (its lifespan belongs to no test here)."""
    server = uvicorn.Server(uvicorn.Config(app, lifespan="off", log_level="warning"))
    with socket.socket() as sock:
        # Listening before uvicorn starts: early connections wait in the backlog.
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        serving = asyncio.create_task(server.serve(sockets=[sock]))
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
        server.should_exit = True
        await serving


@pytest.fixture
async def partner(base_url: str, session_factory: Factory) -> AsyncIterator[Partner]:
    """Makes API clients with the given scopes, signed in through `/oauth/token`."""
    clients: list[httpx.AsyncClient] = []

    async def sign_in(scopes: tuple[str, ...] = WRITE) -> httpx.AsyncClient:
        async with unit_of_work(session_factory) as session:
            issued = await create_api_client(session, ADMIN, "Partner", list(scopes))
        client = httpx.AsyncClient(base_url=base_url, timeout=30)
        clients.append(client)
        token = await client.post(
            "/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=(issued.client.client_id, issued.secret),
        )
        client.headers["authorization"] = f"Bearer {token.json()['access_token']}"
        return client

    yield sign_in
    for client in clients:
        await client.aclose()


async def _create(client: httpx.AsyncClient, name: str, key: str = "order-1") -> httpx.Response:
    # Latin-1, as HTTP header values are read: lets a test send a non-ASCII key.
    headers = {idempotency.HEADER.encode(): key.encode("latin-1")}
    body = {"query": CREATE, "variables": {"name": name}}
    return await client.post("/graphql", json=body, headers=headers)


def _replayed(response: httpx.Response) -> bool:
    return idempotency.REPLAYED_HEADER in response.headers


async def _customers_named(session_factory: Factory, name: str) -> int:
    async with session_factory() as session:
        count = await session.scalar(
            select(func.count()).select_from(customers).where(customers.c.name == name)
        )
    return int(count or 0)


async def _key_rows(session_factory: Factory) -> list[Any]:
    async with session_factory() as session:
        return list((await session.execute(select(keys))).all())


async def test_a_retry_creates_one_customer_and_gets_the_first_response_again(
    partner: Partner, session_factory: Factory
) -> None:
    client = await partner()

    first = await _create(client, "Acme")
    retry = await _create(client, "Acme")

    assert first.status_code == retry.status_code == 200
    assert retry.json() == first.json()
    assert first.json()["data"]["createCustomer"]["errors"] == []
    assert not _replayed(first)
    assert _replayed(retry)
    assert await _customers_named(session_factory, "Acme") == 1


async def test_json_formatting_and_member_order_do_not_make_another_request(
    partner: Partner, session_factory: Factory
) -> None:
    client = await partner()
    await _create(client, "Acme")
    reformatted = json.dumps({"variables": {"name": "Acme"}, "query": CREATE}, indent=4)

    retry = await client.post(
        "/graphql",
        content=reformatted,
        headers={"content-type": "application/json", idempotency.HEADER: "order-1"},
    )

    assert _replayed(retry)
    assert await _customers_named(session_factory, "Acme") == 1


async def test_the_same_key_with_another_body_is_refused_with_422(
    partner: Partner, session_factory: Factory
) -> None:
    client = await partner()
    await _create(client, "Acme")

    response = await _create(client, "Globex")

    assert response.status_code == 422
    assert response.json()["errors"][0]["extensions"]["code"] == "IDEMPOTENCY_KEY_REUSED"
    assert await _customers_named(session_factory, "Globex") == 0


async def test_a_retry_while_the_first_request_runs_is_refused_with_409(
    partner: Partner, session_factory: Factory
) -> None:
    client = await partner()
    await _create(client, "Acme")
    async with unit_of_work(session_factory) as session:
        # Back to how the key is while its request runs: claimed, no response yet.
        await session.execute(update(keys).values(status_code=None, response=None))

    response = await _create(client, "Acme")

    assert response.status_code == 409
    assert response.headers["retry-after"] == "1"
    assert response.json()["errors"][0]["extensions"]["code"] == "IDEMPOTENCY_IN_PROGRESS"
    assert await _customers_named(session_factory, "Acme") == 1


async def test_concurrent_retries_create_exactly_one_customer(
    partner: Partner, session_factory: Factory
) -> None:
    client = await partner()

    responses = await asyncio.gather(*(_create(client, "Acme") for _ in range(5)))

    [ran] = [r for r in responses if r.status_code == 200 and not _replayed(r)]
    others = [r for r in responses if r is not ran]
    assert all(r.status_code == 409 or _replayed(r) for r in others)
    assert await _customers_named(session_factory, "Acme") == 1


async def test_keys_belong_to_one_principal(partner: Partner, session_factory: Factory) -> None:
    first, second = await partner(), await partner()

    responses = [await _create(first, "Acme"), await _create(second, "Acme")]

    assert [r.status_code for r in responses] == [200, 200]
    assert not any(_replayed(r) for r in responses)
    assert await _customers_named(session_factory, "Acme") == 2


async def test_an_expired_key_runs_the_request_again(
    partner: Partner, session_factory: Factory
) -> None:
    client = await partner()
    await _create(client, "Acme")
    async with unit_of_work(session_factory) as session:
        await session.execute(update(keys).values(expires_at=utcnow() - timedelta(seconds=1)))

    retry = await _create(client, "Acme")

    assert retry.status_code == 200
    assert not _replayed(retry)
    assert await _customers_named(session_factory, "Acme") == 2
    [row] = await _key_rows(session_factory)
    assert row.expires_at > utcnow() + timedelta(hours=23)


async def test_queries_ignore_the_key(partner: Partner, session_factory: Factory) -> None:
    client = await partner()
    query = {"query": "{ customers { totalCount } }"}

    responses = [
        await client.post("/graphql", json=query, headers={idempotency.HEADER: "order-1"})
        for _ in range(2)
    ]

    assert [r.status_code for r in responses] == [200, 200]
    assert not any(_replayed(r) for r in responses)
    assert await _key_rows(session_factory) == []


@pytest.mark.parametrize("key", ["", "x" * 256, "café"], ids=["empty", "long", "non-ascii"])
async def test_an_invalid_key_is_refused_with_400(
    partner: Partner, session_factory: Factory, key: str
) -> None:
    client = await partner()

    response = await _create(client, "Acme", key=key)

    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert await _customers_named(session_factory, "Acme") == 0


async def test_a_request_refused_before_it_ran_frees_the_key(
    partner: Partner, session_factory: Factory
) -> None:
    client = await partner()
    invalid = await client.post(
        "/graphql",
        json={"query": CREATE, "variables": {"name": 42}},
        headers={idempotency.HEADER: "order-1", "accept": "application/graphql-response+json"},
    )

    corrected = await _create(client, "Acme")

    assert invalid.status_code == 400
    assert corrected.status_code == 200
    assert corrected.json()["data"]["createCustomer"]["customer"]["name"] == "Acme"


async def test_a_field_refused_for_a_missing_scope_is_a_result_and_is_replayed(
    partner: Partner,
) -> None:
    reader = await partner(("customers:read",))
    first = await _create(reader, "Acme")

    retry = await _create(reader, "Acme")

    assert first.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert retry.json() == first.json()
    assert _replayed(retry)


async def test_payload_errors_are_a_result_and_are_replayed(partner: Partner) -> None:
    client = await partner()
    first = await _create(client, "")

    retry = await _create(client, "")

    assert first.json()["data"]["createCustomer"]["errors"]
    assert retry.json() == first.json()
    assert _replayed(retry)


async def test_a_batch_with_a_mutation_runs_once_as_a_whole(
    partner: Partner, session_factory: Factory
) -> None:
    client = await partner()
    batch = [
        {"query": CREATE, "variables": {"name": "Acme"}},
        {"query": "{ customers { totalCount } }"},
    ]

    first = await client.post("/graphql", json=batch, headers={idempotency.HEADER: "batch-1"})
    retry = await client.post("/graphql", json=batch, headers={idempotency.HEADER: "batch-1"})

    assert retry.json() == first.json()
    assert _replayed(retry)
    assert await _customers_named(session_factory, "Acme") == 1


async def test_retention_purges_expired_keys_and_keeps_live_ones(
    partner: Partner, session_factory: Factory, settings: Settings
) -> None:
    client = await partner()
    await _create(client, "Acme", key="old")
    await _create(client, "Globex", key="new")
    async with unit_of_work(session_factory) as session:
        await session.execute(
            update(keys).where(keys.c.key == "old").values(expires_at=utcnow() - timedelta(1))
        )

    await purge_once(settings, session_factory)

    assert [row.key for row in await _key_rows(session_factory)] == ["new"]
