"""Shared fixtures: a migrated real database (SQLite, or PostgreSQL via TEST_DATABASE_URL),
the ASGI app over it, a GraphQL client, and a SQL statement counter."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlmodel import SQLModel

from app.db import create_engine
from app.http.asgi import create_app
from app.http.auth import issue_token
from app.migrations import upgrade_to_head
from app.settings import Settings
from app.wiring import install as install_wiring
from kernel.principal import Principal, PrincipalKind
from schema.planner.statement import json_flavour

# The suite is an entry point too: the kernel refuses to run unwired.
install_wiring()

ADMIN = Principal(subject="tests", kind=PrincipalKind.OPERATOR, role="admin")


def _is_postgres(url: str) -> bool:
    return url.startswith("postgresql")


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A freshly migrated database for this test session."""
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        asyncio.run(_drop_everything(url))
    else:
        url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    upgrade_to_head(url)
    return url


async def _drop_everything(url: str) -> None:
    engine = create_engine(url)
    async with engine.begin() as connection:
        await connection.execute(text("DROP SCHEMA public CASCADE"))
        await connection.execute(text("CREATE SCHEMA public"))
    await engine.dispose()


@pytest.fixture(scope="session")
def settings(database_url: str) -> Settings:
    # Rate limits have tests of their own; here they would only make the suite flaky.
    return Settings(
        database_url=database_url,
        crm_env="development",
        log_level="WARNING",
        rate_limit_per_second=1_000_000,
        rate_limit_burst=1_000_000,
        webhook_allow_http=True,
        webhook_allowed_networks=["127.0.0.0/8"],
    )


@pytest.fixture(scope="session")
def one_statement(settings: Settings, app: Any) -> bool:
    """Whether planned queries run as one statement (the planned executor, where the database
    can build JSON: PostgreSQL, SQLite 3.39 and later)."""
    planned = settings.graphql_executor == "planned"
    return planned and json_flavour(app.state.engine.dialect) is not None


@pytest.fixture(scope="session")
def app(settings: Settings) -> Any:
    return create_app(settings)


@pytest.fixture(scope="session")
def engine(app: Any) -> AsyncEngine:
    return app.state.engine  # type: ignore[no-any-return]


@pytest.fixture(scope="session")
def session_factory(app: Any) -> async_sessionmaker[AsyncSession]:
    return app.state.session_factory  # type: ignore[no-any-return]


@pytest.fixture(autouse=True)
async def _empty_tables(engine: AsyncEngine) -> AsyncIterator[None]:
    """Every test starts from an empty database."""
    yield
    tables = list(reversed(SQLModel.metadata.sorted_tables))
    async with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            names = ", ".join(table.name for table in tables)
            await connection.execute(text(f"TRUNCATE {names} CASCADE"))
        else:
            for table in tables:
                await connection.execute(table.delete())


@dataclass
class StatementCounter:
    """Counts the data statements (not BEGIN/COMMIT) an engine runs."""

    statements: list[str] = field(default_factory=list)

    def __call__(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().split(" ", 1)[0].upper() in (
            "SELECT",
            "INSERT",
            "UPDATE",
            "DELETE",
            "WITH",
        ):
            self.statements.append(statement)

    @property
    def count(self) -> int:
        return len(self.statements)


@pytest.fixture
def count_statements(engine: AsyncEngine) -> Any:
    @contextmanager
    def counting() -> Iterator[StatementCounter]:
        counter = StatementCounter()
        event.listen(engine.sync_engine, "before_cursor_execute", counter)
        try:
            yield counter
        finally:
            event.remove(engine.sync_engine, "before_cursor_execute", counter)

    return counting


@pytest.fixture
def admin_token(settings: Settings) -> str:
    return issue_token(settings, ADMIN)


@pytest.fixture
async def http(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://crm.test") as client:
        yield client


class GraphQLClient:
    """Posts GraphQL documents as an authenticated client and returns the decoded body."""

    def __init__(self, http: httpx.AsyncClient, token: str) -> None:
        self.http = http
        self.token = token

    async def raw(self, query: str, variables: dict[str, Any] | None = None) -> httpx.Response:
        return await self.http.post(
            "/graphql",
            json={"query": query, "variables": variables or {}},
            headers={"authorization": f"Bearer {self.token}"},
        )

    async def __call__(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """The `data` of a successful response; fails the test on any GraphQL error."""
        response = await self.raw(query, variables)
        body = response.json()
        assert response.status_code == 200, body
        assert "errors" not in body, body["errors"]
        return body["data"]  # type: ignore[no-any-return]

    async def errors(
        self, query: str, variables: dict[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        """The `errors` of a response that must have some."""
        body = (await self.raw(query, variables)).json()
        assert body.get("errors"), body
        return body["errors"]  # type: ignore[no-any-return]


@pytest.fixture
def gql(http: httpx.AsyncClient, admin_token: str) -> GraphQLClient:
    return GraphQLClient(http, admin_token)


ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def make(session_factory: async_sessionmaker[AsyncSession]) -> Any:
    from tests.factories import Factory

    return Factory(session_factory)
