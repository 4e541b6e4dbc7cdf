"""Pull mode against a fake ERP on loopback: pages applied with their cursor, a failure
mid-way resumed from the last applied page, without duplicates or gaps."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from sqlalchemy import func, select
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from integrations.pull import pull_connection, pull_due
from kernel.tables import table_of
from models import AuditEntry, Customer
from models.integrations import Connection
from tests.factories import gid
from tests.integrations.conftest import LoopbackServer
from tests.webhooks.conftest import LOOPBACK
from tests.webhooks.processes import CRM, environment, working
from webhooks.endpoints import TargetPolicy

PAGE = 2


class FakeERP:
    """Ten customers, changed one per hour, served oldest first after `updated_since`."""

    def __init__(self, fail_on_page: int | None = None, hang_on_page: int | None = None) -> None:
        self.records: list[dict[str, Any]] = [
            {
                "type": "customer",
                "id": f"C-{n}",
                "updated_at": f"2026-11-01T{n:02d}:00:00Z",
                "data": {"name": f"Company {n}"},
            }
            for n in range(10)
        ]
        self.fail_on_page = fail_on_page
        self.hang_on_page = hang_on_page
        self.hanging = asyncio.Event()
        self.release = asyncio.Event()
        self.requests: list[str | None] = []
        self.app = Starlette(routes=[Route("/customers", self.page)])

    async def page(self, request: Request) -> Response:
        since = request.query_params.get("updated_since")
        self.requests.append(since)
        assert request.headers["x-api-key"] == "erp-key"
        if self.fail_on_page is not None and len(self.requests) == self.fail_on_page:
            self.fail_on_page = None  # fails once, like a restart
            return Response("upstream restarting", status_code=503)
        if self.hang_on_page is not None and len(self.requests) == self.hang_on_page:
            self.hang_on_page = None
            self.hanging.set()
            await self.release.wait()  # the puller is killed while waiting for this page
        limit = int(request.query_params["limit"])
        newer = [r for r in self.records if since is None or r["updated_at"] > since]
        page = newer[:limit]
        return JSONResponse(
            {
                "records": page,
                "next_cursor": page[-1]["updated_at"] if page else since,
                "has_more": len(newer) > limit,
            }
        )


async def customers(session_factory: Any) -> list[str]:
    async with session_factory() as session:
        return list(
            (await session.scalars(select(table_of(Customer).c.name).order_by("name"))).all()
        )


async def pulling_connection(connect: Any, url: str) -> Any:
    connection, _ = await connect(
        "erp",
        settings={
            "pull": {
                "url": f"{url}/customers",
                "page_size": PAGE,
                "interval_seconds": 60,
                "headers": {"x-api-key": "erp-key"},
            }
        },
    )
    return connection


async def stored(session_factory: Any, connection: Any) -> Any:
    async with session_factory() as session:
        return (
            await session.execute(
                select(table_of(Connection)).where(table_of(Connection).c.id == connection.id)
            )
        ).one()


async def test_pull_applies_every_page_and_stores_the_cursor(
    connect: Any, session_factory: Any
) -> None:
    erp = FakeERP()
    async with LoopbackServer(erp.app) as server, httpx.AsyncClient() as client:
        connection = await pulling_connection(connect, server.url)
        result = await pull_connection(session_factory, connection.id, client, LOOPBACK)

    assert result is not None
    assert (result.pages, result.records) == (5, 10)
    assert len(await customers(session_factory)) == 10
    status = await stored(session_factory, connection)
    assert status.pull_cursor == "2026-11-01T09:00:00Z"
    assert status.applied_count == 10


async def test_pull_failing_mid_way_resumes_without_duplicates_or_gaps(
    connect: Any, session_factory: Any
) -> None:
    erp = FakeERP(fail_on_page=3)
    async with LoopbackServer(erp.app) as server, httpx.AsyncClient() as client:
        connection = await pulling_connection(connect, server.url)
        failed = await pull_connection(session_factory, connection.id, client, LOOPBACK)
        after_failure = await customers(session_factory)
        status = await stored(session_factory, connection)
        resumed = await pull_connection(
            session_factory, connection.id, client, LOOPBACK, force=True
        )

    assert failed is not None
    assert failed.error is not None
    assert failed.pages == 2
    assert len(after_failure) == 4
    assert status.pull_cursor == "2026-11-01T03:00:00Z"
    assert "503" in status.last_error
    assert resumed is not None
    assert resumed.error is None
    assert erp.requests[3] == "2026-11-01T03:00:00Z"  # resumed right after the last applied page
    names = await customers(session_factory)
    assert len(names) == len(set(names)) == 10
    assert (await stored(session_factory, connection)).applied_count == 10


async def test_pull_is_not_repeated_before_its_interval(connect: Any, session_factory: Any) -> None:
    erp = FakeERP()
    async with LoopbackServer(erp.app) as server, httpx.AsyncClient() as client:
        await pulling_connection(connect, server.url)
        first = await pull_due(session_factory, client, LOOPBACK)
        second = await pull_due(session_factory, client, LOOPBACK)

    assert [r.records for r in first] == [10]
    assert second == []


async def test_invalid_pull_settings_are_refused_with_their_path(gql: Any) -> None:
    data = await gql(
        """mutation { createConnection(input: {name: "erp-pull", connector: "erp", settings: {pull: {url: "not a url"}}}) {
            connection { name } errors { code field } } }"""
    )

    errors = data["createConnection"]["errors"]
    assert errors[0]["code"] == "VALIDATION"
    assert errors[0]["field"] == ["input", "settings", "pull", "url"]


async def test_connection_status_is_queryable(connect: Any, session_factory: Any, gql: Any) -> None:
    erp = FakeERP()
    async with LoopbackServer(erp.app) as server, httpx.AsyncClient() as client:
        connection = await pulling_connection(connect, server.url)
        await pull_connection(session_factory, connection.id, client, LOOPBACK)

    data = await gql(
        "{ connections { edges { node { name connector state status { appliedCount staleCount rejectedCount pullCursor lastAppliedAt lastError } } } } }"
    )

    node = data["connections"]["edges"][0]["node"]
    assert node["name"] == connection.name
    assert node["status"]["appliedCount"] == 10
    assert node["status"]["pullCursor"] == "2026-11-01T09:00:00Z"
    assert node["status"]["lastAppliedAt"] is not None
    async with session_factory() as session:
        assert await session.scalar(select(func.count()).select_from(table_of(Customer))) == 10


async def test_pull_process_killed_mid_way_resumes_without_duplicates_or_gaps(
    connect: Any, session_factory: Any, database_url: str
) -> None:
    erp = FakeERP(hang_on_page=3)
    async with LoopbackServer(erp.app) as server, httpx.AsyncClient() as client:
        connection = await pulling_connection(connect, server.url)
        process = await asyncio.create_subprocess_exec(
            str(CRM),
            "connectors",
            "pull",
            connection.name,
            env=environment(database_url),
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        try:
            await asyncio.wait_for(erp.hanging.wait(), timeout=60)
        finally:
            process.kill()  # SIGKILL: no cleanup, no last words
            await process.wait()
            erp.release.set()
        after_kill = await customers(session_factory)
        cursor = (await stored(session_factory, connection)).pull_cursor
        resumed = await pull_connection(
            session_factory, connection.id, client, LOOPBACK, force=True
        )

    assert len(after_kill) == 4
    assert cursor == "2026-11-01T03:00:00Z"
    assert resumed is not None
    assert resumed.error is None
    assert erp.requests[3] == cursor
    names = await customers(session_factory)
    assert len(names) == len(set(names)) == 10


REDIS_URL = "redis://127.0.0.1:6379/13"


@pytest.fixture
def redis_url() -> Iterator[str]:
    """Redis database 13, empty before and after the test; skipped without Redis."""
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


async def test_crm_worker_pulls_due_connections(
    connect: Any, session_factory: Any, database_url: str, redis_url: str, tmp_path: Path
) -> None:
    erp = FakeERP()
    async with LoopbackServer(erp.app) as server:
        await pulling_connection(connect, server.url)
        with working(environment(database_url, REDIS_URL=redis_url), tmp_path / "worker.log"):
            for _ in range(300):  # up to 60 s: the worker starts, then pulls at once
                if len(await customers(session_factory)) == 10:
                    break
                await asyncio.sleep(0.2)

    assert len(await customers(session_factory)) == 10


async def test_pull_refuses_a_url_outside_the_target_policy(
    connect: Any, session_factory: Any
) -> None:
    erp = FakeERP()
    async with LoopbackServer(erp.app) as server, httpx.AsyncClient() as client:
        connection = await pulling_connection(connect, server.url)
        result = await pull_connection(session_factory, connection.id, client, TargetPolicy())

    assert result is not None
    assert result.error is not None
    assert "https" in result.error
    assert erp.requests == []
    assert await customers(session_factory) == []


async def test_pull_api_key_is_encrypted_at_rest_masked_in_the_api_and_the_audit_log(
    connect: Any, session_factory: Any, gql: Any
) -> None:
    erp = FakeERP()
    async with LoopbackServer(erp.app) as server, httpx.AsyncClient() as client:
        connection = await pulling_connection(connect, server.url)
        data = await gql(
            """mutation($id: ID!, $settings: JSON!) { updateConnection(id: $id, input: {settings: $settings}) {
                connection { settings } errors { code field } } }""",
            {
                "id": gid("IntegrationConnection", connection),
                "settings": {
                    "pull": {
                        "url": f"{server.url}/customers",
                        "page_size": PAGE,
                        "headers": {"x-api-key": "********"},
                    }
                },
            },
        )
        result = await pull_connection(session_factory, connection.id, client, LOOPBACK)

    assert data["updateConnection"]["connection"]["settings"]["pull"]["headers"] == {
        "x-api-key": "********"
    }
    assert result is not None
    assert result.error is None  # the masked value kept the stored key: the ERP accepted it
    key = (await stored(session_factory, connection)).settings["pull"]["headers"]["x-api-key"]
    assert key.startswith("enc:")
    assert "erp-key" not in key
    async with session_factory() as session:
        audit = (await session.scalars(select(table_of(AuditEntry).c.changes))).all()
    assert "erp-key" not in json.dumps(audit)
