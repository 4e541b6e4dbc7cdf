"""In-process requests through httpx.ASGITransport: SQL statement counts and profiling loops."""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette

DML = frozenset({"SELECT", "INSERT", "UPDATE", "DELETE", "WITH"})


@dataclass(frozen=True)
class StatementCount:
    """SQL sent for one request: data statements (SELECT/INSERT/UPDATE/DELETE), other
    statements sent through a cursor (SQLite's BEGIN), transactions begun, connections opened.
    """

    dml: int
    other: int
    transactions: int
    connects: int
    by_verb: dict[str, int]


class StatementCounter:
    """Counts every statement an engine sends, by its first keyword, and its transactions."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.verbs: Counter[str] = Counter()
        self.transactions = 0
        self.connects = 0
        self._engine = engine.sync_engine

    def _on_execute(
        self, conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool
    ) -> None:
        verb = statement.lstrip().split(None, 1)[0].upper() if statement.strip() else "?"
        self.verbs[verb] += 1

    def _on_begin(self, conn: Any) -> None:
        self.transactions += 1

    def _on_connect(self, dbapi_connection: Any, record: Any) -> None:
        self.connects += 1

    def __enter__(self) -> StatementCounter:
        event.listen(self._engine, "before_cursor_execute", self._on_execute)
        event.listen(self._engine, "begin", self._on_begin)
        event.listen(self._engine.pool, "connect", self._on_connect)
        return self

    def __exit__(self, *exc: object) -> None:
        event.remove(self._engine, "before_cursor_execute", self._on_execute)
        event.remove(self._engine, "begin", self._on_begin)
        event.remove(self._engine.pool, "connect", self._on_connect)

    def result(self) -> StatementCount:
        dml = sum(n for verb, n in self.verbs.items() if verb in DML)
        other = sum(self.verbs.values()) - dml
        return StatementCount(dml, other, self.transactions, self.connects, dict(self.verbs))


def client(app: Starlette, token: str) -> httpx.AsyncClient:
    """An httpx client calling ``app`` in-process, authenticated with ``token``."""
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://127.0.0.1",
        headers={"authorization": f"Bearer {token}", "accept": "application/json"},
    )


async def post_json(http: httpx.AsyncClient, path: str, body: dict[str, Any]) -> Any:
    """POST ``body``; the decoded response, which must be a 200 without errors."""
    response = await http.post(path, json=body)
    decoded = response.json()
    if response.status_code != 200 or "errors" in decoded:
        raise RuntimeError(f"{path} answered {response.status_code}: {response.text[:500]}")
    return decoded


async def count_statements(
    app: Starlette, token: str, path: str, body: dict[str, Any]
) -> StatementCount:
    """SQL statements one request sends, after a warm-up request (pool and caches filled)."""
    engine: AsyncEngine = app.state.engine
    async with client(app, token) as http:
        await post_json(http, path, body)
        with StatementCounter(engine) as counter:
            await post_json(http, path, body)
    return counter.result()


async def connects_under_load(
    app: Starlette, token: str, path: str, body: dict[str, Any], concurrency: int, rounds: int = 5
) -> float:
    """New database connections per request while ``concurrency`` requests run at once.

    Above zero means the pool is smaller than the request's concurrent sessions need:
    connections are opened and closed again under load.
    """
    engine: AsyncEngine = app.state.engine
    async with client(app, token) as http:
        await asyncio.gather(*(post_json(http, path, body) for _ in range(concurrency)))
        with StatementCounter(engine) as counter:
            for _ in range(rounds):
                await asyncio.gather(*(post_json(http, path, body) for _ in range(concurrency)))
    return round(counter.connects / (concurrency * rounds), 2)
