"""Inbound connector fixtures: the API served over real HTTP on loopback, connections, and a
sender that signs batches the way an ERP or HRM would."""

from __future__ import annotations

import asyncio
import json
import socket
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import uvicorn
from starlette.types import ASGIApp

from integrations.connections import create_connection
from kernel.unit_of_work import unit_of_work
from tests.conftest import ADMIN
from webhooks.signing import signature_headers


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LoopbackServer:
    """An ASGI app served by uvicorn on 127.0.0.1 in this event loop."""

    def __init__(self, app: ASGIApp) -> None:
        self.port = free_port()
        config = uvicorn.Config(
            app, host="127.0.0.1", port=self.port, lifespan="off", log_level="warning"
        )
        self.server = uvicorn.Server(config)
        self.task: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def __aenter__(self) -> LoopbackServer:
        self.task = asyncio.create_task(self.server.serve())
        for _ in range(1000):  # uvicorn offers no event to wait on
            if self.server.started:
                break
            await asyncio.sleep(0.01)
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.server.should_exit = True
        if self.task is not None:
            await self.task


@pytest.fixture(scope="session")
async def live_url(app: Any) -> AsyncIterator[str]:
    async with LoopbackServer(app) as server:
        yield server.url


@pytest.fixture
async def loopback(live_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=live_url, timeout=30) as client:
        yield client


@pytest.fixture
def connect(session_factory: Any) -> Any:
    """Create a connection through the service; returns (connection, secret)."""

    async def make(connector: str = "erp", name: str | None = None, **values: Any) -> Any:
        data = {"name": name or f"{connector}-{uuid.uuid4().hex[:8]}", "connector": connector}
        async with unit_of_work(session_factory) as session:
            return await create_connection(session, ADMIN, data | values)

    return make


class Sender:
    """Posts signed batches to `/integrations/{connector}/events` like a source system."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def post(
        self,
        connection: Any,
        secret: str,
        records: list[dict[str, Any]],
        message_id: str | None = None,
        timestamp: int | None = None,
    ) -> httpx.Response:
        body = json.dumps({"records": records}).encode()
        headers = signature_headers(
            [secret], message_id or f"msg_{uuid.uuid4().hex}", timestamp or int(time.time()), body
        )
        return await self.client.post(
            f"/integrations/{connection.connector}/events",
            params={"connection": connection.name},
            content=body,
            headers=headers | {"content-type": "application/json"},
        )

    async def results(self, connection: Any, secret: str, records: list[dict[str, Any]]) -> Any:
        """The per-record results of a batch that must be accepted."""
        response = await self.post(connection, secret, records)
        assert response.status_code == 200, response.text
        return response.json()["results"]


@pytest.fixture
def sender(loopback: httpx.AsyncClient) -> Sender:
    return Sender(loopback)
