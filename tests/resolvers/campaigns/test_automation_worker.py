"""With Redis, API commits wake the `crm worker` automation job (Redis db 12)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import redis

from app.http.asgi import create_app
from app.jobs.worker import AUTOMATION_JOB_ID, run_automation
from tests.conftest import GraphQLClient
from tests.resolvers.campaigns.test_automation_engine import all_runs

REDIS_URL = "redis://127.0.0.1:6379/12"


@pytest.fixture
def redis_client() -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.flushdb()
    except redis.exceptions.ConnectionError:
        pytest.skip(f"Redis is not reachable at {REDIS_URL}")
    try:
        yield client
    finally:
        client.flushdb()
        client.close()


async def test_a_commit_with_events_queues_the_automation_job(
    settings: Any, admin_token: str, make: Any, session_factory: Any, redis_client: redis.Redis
) -> None:
    await make.automation_rule()
    app = create_app(settings.model_copy(update={"redis_url": REDIS_URL}))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://crm.test") as http:
            gql = GraphQLClient(http, admin_token)
            await gql('mutation { createContact(input: {lastName: "Hopper"}) { errors { code } } }')
            for _ in range(100):
                if redis_client.exists(f"arq:job:{AUTOMATION_JOB_ID}"):
                    break
                await asyncio.sleep(0.02)
    assert redis_client.exists(f"arq:job:{AUTOMATION_JOB_ID}")
    assert await all_runs(session_factory) == []  # nothing runs in the API process

    assert await run_automation({"session_factory": session_factory}) == 1
    [run] = await all_runs(session_factory)
    assert run.status == "succeeded"
