"""The planned executor answers a whole query with one statement (PostgreSQL and SQLite), and
that statement answers exactly as the level-by-level plan and graphql-core do.

Each document runs through three apps over the same database (one statement, one statement
per level, graphql-core); the three bodies must be identical.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import event

from app.http.asgi import create_app
from app.http.auth import issue_token
from app.settings import Settings
from kernel.principal import Principal
from tests.schema.conftest import ADMIN, PARTNER, READ_ONLY

PAGE = """
query Page($first: Int, $last: Int, $after: String, $before: String) {
  customers(first: $first, last: $last, after: $after, before: $before, orderBy: {field: NAME}) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { id name } }
    nodes {
      name employees lifecycleStage createdAt
      owner { name email }
      contacts(last: 2) {
        totalCount
        pageInfo { hasPreviousPage startCursor }
        edges { cursor node { id email phone customer { name } } }
      }
      deals(first: 3, orderBy: {field: AMOUNT, direction: DESC}) {
        nodes { id amount currency expectedCloseDate stage { name probability kind } }
      }
    }
  }
}
"""


@pytest.fixture(scope="module")
async def apps(settings: Settings) -> AsyncIterator[tuple[Any, ...]]:
    executors = ("planned", "planned-levels", "graphql-core")
    made = [create_app(settings.model_copy(update={"graphql_executor": e})) for e in executors]
    yield tuple(made)
    for app in made:
        await app.state.engine.dispose()


async def _bodies(
    apps: tuple[Any, ...],
    settings: Settings,
    principal: Principal,
    query: str,
    variables: dict[str, Any] | None = None,
) -> list[Any]:
    headers = {"authorization": f"Bearer {issue_token(settings, principal)}"}
    bodies = []
    for app in apps:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://crm.test") as http:
            response = await http.post(
                "/graphql", json={"query": query, "variables": variables}, headers=headers
            )
        bodies.append((response.status_code, response.json()))
    return bodies


def _statements(app: Any) -> list[str]:
    """Records the data statements the app's engine runs from now on."""
    statements: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):
            statements.append(statement)

    event.listen(app.state.engine.sync_engine, "before_cursor_execute", record)
    return statements


async def test_a_nested_page_is_one_statement(
    apps: tuple[Any, ...], settings: Settings, seeded: None
) -> None:
    statements = _statements(apps[0])

    await _bodies(apps[:1], settings, ADMIN, PAGE, {"first": 10})

    assert len(statements) == 1


@pytest.mark.parametrize("principal", [ADMIN, READ_ONLY], ids=lambda p: p.subject)
async def test_a_nested_page_answers_as_the_levels_and_graphql_core_do(
    apps: tuple[Any, ...], settings: Settings, seeded: None, principal: Principal
) -> None:
    one, levels, core = await _bodies(apps, settings, principal, PAGE, {"first": 10})

    assert one == levels == core
    assert "errors" not in one[1]


async def test_backward_pages_answer_alike(
    apps: tuple[Any, ...], settings: Settings, seeded: None
) -> None:
    _, _, (_, last) = await _bodies(apps, settings, ADMIN, PAGE, {"last": 6})
    before = last["data"]["customers"]["pageInfo"]["startCursor"]

    one, levels, core = await _bodies(apps, settings, ADMIN, PAGE, {"last": 4, "before": before})

    assert one == levels == core
    assert one[1]["data"]["customers"]["pageInfo"]["hasPreviousPage"] is True


async def test_each_principal_gets_its_own_answer_to_the_same_document(
    apps: tuple[Any, ...], settings: Settings, sales_rep: Principal
) -> None:
    answers = {}

    for principal in (ADMIN, sales_rep, READ_ONLY, ADMIN):
        one, levels, core = await _bodies(apps, settings, principal, PAGE, {"first": 30})
        assert one == levels == core
        answers[principal.subject] = one[1]["data"]["customers"]

    assert answers[sales_rep.subject]["totalCount"] < answers[ADMIN.subject]["totalCount"]
    assert answers[READ_ONLY.subject] != answers[ADMIN.subject]  # emails masked


async def test_a_missing_scope_answers_alike(
    apps: tuple[Any, ...], settings: Settings, seeded: None
) -> None:
    query = "query { customers(first: 3) { nodes { name deals(first: 2) { nodes { name } } } } }"

    one, levels, core = await _bodies(apps, settings, PARTNER, query)

    assert one == levels == core
    assert {e["extensions"]["code"] for e in one[1]["errors"]} == {"FORBIDDEN"}


@pytest.mark.parametrize(
    "query",
    [
        "query { customers(first: 5) { totalCount } }",
        "query { customers(first: 5) { pageInfo { hasNextPage endCursor } } }",
        'query { customers(first: 5, filter: {name: {eq: "nobody"}}) { totalCount nodes { id } '
        "pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }",
        "query { customers(first: 3) { nodes { contacts(first: 0) { totalCount nodes { id } } } } }",
    ],
    ids=["count only", "page info only", "empty page", "empty nested pages"],
)
async def test_counts_and_empty_pages_answer_alike(
    apps: tuple[Any, ...], settings: Settings, seeded: None, query: str
) -> None:
    one, levels, core = await _bodies(apps, settings, ADMIN, query)

    assert one == levels == core
    assert "errors" not in one[1]
