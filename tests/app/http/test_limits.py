"""Hostile queries are refused before they reach the database; abusive clients are slowed."""

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from app.http.asgi import create_app
from app.http.auth import issue_token
from app.http.rate_limit import MemoryRateLimiter, RedisRateLimiter
from app.settings import Settings
from kernel.principal import Principal, PrincipalKind
from tests.conftest import ADMIN

DEEP = "{ customers(first: 100) { nodes { contacts(first: 100) { nodes { deals(first: 100) { nodes { id } } } } } } }"


async def _production_app(
    database_url: str, **overrides: Any
) -> AsyncIterator[tuple[httpx.AsyncClient, Settings]]:
    settings = Settings(
        database_url=database_url,
        crm_env="production",
        crm_secret_key="a-production-secret-that-is-long-enough-0123",
        **{
            "max_query_depth": 8,
            "max_query_aliases": 3,
            "max_root_fields": 4,
            "max_batch_operations": 2,
            "max_body_bytes": 2_000,
            "rate_limit_burst": 1_000,
            **overrides,
        },
    )
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://crm.test") as http:
        yield http, settings
    await app.state.engine.dispose()


@pytest.fixture
async def production(database_url: str) -> AsyncIterator[tuple[httpx.AsyncClient, Settings]]:
    """A production-mode app with small query limits, over the suite's database."""
    async for pair in _production_app(database_url):
        yield pair


@pytest.fixture
async def batching(database_url: str) -> AsyncIterator[tuple[httpx.AsyncClient, Settings]]:
    """The production app with batched requests turned on."""
    async for pair in _production_app(database_url, graphql_batching=True):
        yield pair


@pytest.fixture
async def throttled(database_url: str) -> AsyncIterator[tuple[httpx.AsyncClient, Settings]]:
    """The same, allowing each principal 3 requests at once and one every 2 seconds."""
    async for pair in _production_app(database_url, rate_limit_per_second=0.5, rate_limit_burst=3):
        yield pair


async def _post(
    production: tuple[httpx.AsyncClient, Settings], body: Any, principal: Principal = ADMIN
) -> httpx.Response:
    http, settings = production
    headers = {
        "authorization": f"Bearer {issue_token(settings, principal)}",
        "accept": "application/graphql-response+json",
    }
    return await http.post("/graphql", json=body, headers=headers)


def _code(response: httpx.Response) -> str:
    return response.json()["errors"][0]["extensions"]["code"]  # type: ignore[no-any-return]


async def test_costly_query_is_refused_before_execution(
    production: Any, count_statements: Any
) -> None:
    with count_statements() as counter:
        response = await _post(production, {"query": DEEP})

    assert response.status_code == 400
    assert _code(response) == "LIMIT_EXCEEDED"
    assert "cost" in response.json()["errors"][0]["message"]
    assert counter.count == 0


async def test_cost_counts_page_sizes_given_in_variables(production: Any) -> None:
    query = "query($n: Int) { customers(first: $n) { nodes { contacts(first: $n) { nodes { deals(first: $n) { nodes { id } } } } } } }"

    cheap = await _post(production, {"query": query, "variables": {"n": 5}})
    costly = await _post(production, {"query": query, "variables": {"n": 100}})

    assert cheap.status_code == 200
    assert _code(costly) == "LIMIT_EXCEEDED"


async def test_over_deep_query_is_refused(production: Any) -> None:
    deep = "{ deals(first: 1) { nodes { customer { owner { team { users(first: 1) { nodes { manager { team { name } } } } } } } } } }"

    response = await _post(production, {"query": deep})

    assert _code(response) == "LIMIT_EXCEEDED"
    assert "depth" in response.json()["errors"][0]["message"]


async def test_alias_flood_is_refused(production: Any) -> None:
    flood = (
        "{ customers(first: 1) { nodes { " + " ".join(f"a{n}: name" for n in range(10)) + " } } }"
    )

    response = await _post(production, {"query": flood})

    assert "aliases" in response.json()["errors"][0]["message"]


async def test_too_many_root_fields_are_refused(production: Any) -> None:
    many = "{ " + " ".join(["teams(first: 1) { totalCount }"] * 5) + " }"

    response = await _post(production, {"query": many})

    assert "root fields" in response.json()["errors"][0]["message"]


async def test_batches_are_refused_in_production_by_default(production: Any) -> None:
    one = {"query": "{ teams { totalCount } }"}

    refused = await _post(production, [one])

    assert refused.status_code == 400
    assert "batched requests are turned off" in refused.json()["errors"][0]["message"]


async def test_batches_answer_each_operation_and_are_capped(batching: Any) -> None:
    one = {"query": "{ teams { totalCount } }"}

    answered = await _post(batching, [one, one])
    refused = await _post(batching, [one, one, one])

    assert answered.json() == [{"data": {"teams": {"totalCount": 0}}}] * 2
    assert refused.status_code == 400
    assert _code(refused) == "LIMIT_EXCEEDED"


async def test_oversized_body_is_refused(production: Any) -> None:
    response = await _post(production, {"query": "{ teams { totalCount } }", "pad": "x" * 3_000})

    assert response.status_code == 413


async def test_introspection_needs_its_scope_in_production(production: Any) -> None:
    query = {"query": "{ __schema { queryType { name } } }"}
    reader = Principal("reader", PrincipalKind.OPERATOR, role="read_only")

    refused = await _post(production, query, reader)
    allowed = await _post(production, query, ADMIN)

    assert _code(refused) == "FORBIDDEN"
    assert allowed.json() == {"data": {"__schema": {"queryType": {"name": "Query"}}}}


async def test_field_suggestions_are_hidden_in_production(production: Any) -> None:
    response = await _post(production, {"query": "{ customer { name } }"})

    message = response.json()["errors"][0]["message"]
    assert "Did you mean" not in message


def _raises(*args: Any, **kwargs: Any) -> Any:
    raise RuntimeError("secret internals")


async def test_unexpected_errors_are_masked_with_an_error_id_in_production(
    production: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*args: Any, **kwargs: Any) -> int:
        raise RuntimeError("secret internals")

    # Broken on every path: the planner's one statement (PostgreSQL), its levels and graphql-core.
    monkeypatch.setattr("schema.connections.count_rows", broken)
    monkeypatch.setattr("schema.planner.statement.StatementCompiler.operation", _raises)
    response = await _post(production, {"query": "{ teams { totalCount } }"})

    error = response.json()["errors"][0]
    assert error["message"] == "Internal server error"
    assert error["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert len(error["extensions"]["errorId"]) == 32


async def test_graphiql_is_off_in_production(production: Any) -> None:
    http, _ = production

    response = await http.get("/graphql", headers={"accept": "text/html"})

    assert response.status_code == 406
    assert "graphiql" not in response.text.lower()


async def test_past_the_rate_limit_requests_get_429_with_retry_after(throttled: Any) -> None:
    query = {"query": "{ teams { totalCount } }"}
    principal = Principal("hasty", PrincipalKind.OPERATOR, role="admin")

    statuses = [(await _post(throttled, query, principal)).status_code for _ in range(3)]
    limited = await _post(throttled, query, principal)
    other = await _post(throttled, query, Principal("calm", PrincipalKind.OPERATOR, role="admin"))

    assert statuses == [200, 200, 200]
    assert limited.status_code == 429
    assert int(limited.headers["retry-after"]) >= 1
    assert _code(limited) == "RATE_LIMITED"
    assert other.status_code == 200


async def test_memory_bucket_refills_over_time() -> None:
    limiter = MemoryRateLimiter(rate=1000.0, burst=1)

    first = await limiter.take("k")
    second = await limiter.take("k")

    assert first == 0.0
    assert 0 < second <= 0.001 + 1e-9


async def test_redis_bucket_is_shared_by_every_limiter_on_the_same_key() -> None:
    redis_asyncio = pytest.importorskip("redis.asyncio")
    redis = redis_asyncio.Redis.from_url("redis://127.0.0.1:6379/15")
    try:
        await redis.ping()
    except Exception:
        pytest.skip("no Redis on 127.0.0.1:6379")
    await redis.flushdb()
    one = RedisRateLimiter(redis, rate=0.1, burst=2)
    two = RedisRateLimiter(redis, rate=0.1, burst=2)

    waits = [await one.take("p"), await two.take("p"), await one.take("p")]

    assert waits[:2] == [0.0, 0.0]
    assert waits[2] > 0
    await redis.flushdb()
    await redis.aclose()
