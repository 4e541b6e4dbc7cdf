"""Fixtures of the schema tests: one app per executor over the same database, and the
principals the differential tests ask as."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col

from app.http.asgi import create_app
from app.http.auth import issue_token
from app.seed import seed
from app.settings import Settings
from kernel.principal import Principal, PrincipalKind
from models import User


@pytest.fixture(scope="module")
async def core_app(settings: Settings) -> AsyncIterator[Any]:
    app = create_app(settings.model_copy(update={"graphql_executor": "graphql-core"}))
    yield app
    await app.state.engine.dispose()


@pytest.fixture(scope="module")
async def planned_app(settings: Settings) -> AsyncIterator[Any]:
    app = create_app(settings.model_copy(update={"graphql_executor": "planned"}))
    yield app
    await app.state.engine.dispose()


class Both:
    """Posts each document to both apps as one principal and returns the two bodies."""

    def __init__(self, settings: Settings, planned: Any, core: Any) -> None:
        self.settings = settings
        self.apps = (planned, core)

    async def bodies(
        self, principal: Principal, query: str, variables: dict[str, Any] | None = None
    ) -> tuple[Any, Any]:
        headers = {"authorization": f"Bearer {issue_token(self.settings, principal)}"}
        bodies = []
        for app in self.apps:
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://crm.test") as http:
                response = await http.post(
                    "/graphql", json={"query": query, "variables": variables}, headers=headers
                )
            bodies.append((response.status_code, _without_error_ids(response.json())))
        return bodies[0], bodies[1]


def _without_error_ids(body: Any) -> Any:
    for error in body.get("errors", []):
        error.get("extensions", {}).pop("errorId", None)
    return body


@pytest.fixture
def both(settings: Settings, planned_app: Any, core_app: Any) -> Both:
    return Both(settings, planned_app, core_app)


ADMIN = Principal("admin", PrincipalKind.OPERATOR, role="admin")
READ_ONLY = Principal("reader", PrincipalKind.OPERATOR, role="read_only")
PARTNER_SCOPES = ("customers:read", "contacts:read")
PARTNER = Principal("partner", PrincipalKind.CLIENT, scopes=frozenset(PARTNER_SCOPES))


@pytest.fixture
async def seeded(engine: AsyncEngine, make: Any) -> None:
    await seed(engine, customers=30)
    await make.api_client(PARTNER.subject, list(PARTNER_SCOPES))


@pytest.fixture
async def sales_rep(seeded: None, session_factory: Any) -> Principal:
    """A seeded sales rep, who sees only their team's rows."""
    async with session_factory() as session:
        rep = (
            (await session.execute(select(User).where(col(User.role) == "sales_rep")))
            .scalars()
            .first()
        )
    assert rep is not None
    return Principal(rep.email, PrincipalKind.USER, role=rep.role, user_id=rep.id)
