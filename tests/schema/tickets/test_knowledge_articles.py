"""Knowledge base articles through GraphQL: writing, publishing, events and who sees drafts."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kernel.tables import table_of
from models import Event
from tests.conftest import GraphQLClient
from tests.schema.test_permissions import partner_with

FIELDS = "id title body category tags status publishedAt version author { name } deletedAt"
CREATE = f"""
mutation($input: CreateKbArticleInput!) {{
  createKbArticle(input: $input) {{ kbArticle {{ {FIELDS} }} errors {{ code field }} }}
}}
"""
PUBLISH = f"""
mutation($id: ID!, $v: Int) {{
  publishKbArticle(id: $id, expectedVersion: $v) {{ kbArticle {{ {FIELDS} }} errors {{ code field }} }}
}}
"""
UNPUBLISH = """
mutation($id: ID!) { unpublishKbArticle(id: $id) { kbArticle { status } errors { code field } } }
"""
UPDATE = """
mutation($id: ID!, $input: UpdateKbArticleInput!) {
  updateKbArticle(id: $id, input: $input) { kbArticle { title tags version } errors { code field } }
}
"""
LIST = "{ kbArticles { totalCount nodes { title status } } }"


async def _create(gql: GraphQLClient, **values: Any) -> dict[str, Any]:
    data = await gql(
        CREATE, {"input": {"title": "Reset your password", "body": "Open Settings.", **values}}
    )
    payload = data["createKbArticle"]
    assert payload["errors"] == []
    return payload["kbArticle"]  # type: ignore[no-any-return]


async def _event_types(session_factory: async_sessionmaker[AsyncSession]) -> list[str]:
    async with session_factory() as session:
        events = table_of(Event)
        statement = select(events.c.type).where(events.c.entity_type == "kb_article")
        return list(await session.scalars(statement.order_by(events.c.position)))


async def test_create_makes_a_draft_with_cleaned_tags(gql: GraphQLClient) -> None:
    article = await _create(gql, category=" Accounts ", tags=["login", " login", "password"])

    assert article["status"] == "DRAFT"
    assert article["publishedAt"] is None
    assert article["category"] == "Accounts"
    assert article["tags"] == ["login", "password"]


async def test_create_with_a_blank_title_is_refused(gql: GraphQLClient) -> None:
    data = await gql(CREATE, {"input": {"title": "  ", "body": "x"}})

    assert data["createKbArticle"]["errors"] == [
        {"code": "VALIDATION", "field": ["input", "title"]}
    ]


async def test_publish_sets_published_at_and_records_the_event(
    gql: GraphQLClient, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    article = await _create(gql)

    data = await gql(PUBLISH, {"id": article["id"], "v": 1})

    published = data["publishKbArticle"]["kbArticle"]
    assert published["status"] == "PUBLISHED"
    assert published["publishedAt"] is not None
    assert published["version"] == 2
    assert sorted(await _event_types(session_factory)) == [
        "kb_article.created",
        "kb_article.published",
        "kb_article.updated",
    ]


async def test_publishing_a_published_article_is_an_invalid_state(gql: GraphQLClient) -> None:
    article = await _create(gql)
    await gql(PUBLISH, {"id": article["id"]})

    data = await gql(PUBLISH, {"id": article["id"]})

    assert data["publishKbArticle"]["errors"] == [{"code": "INVALID_STATE", "field": ["id"]}]


async def test_publish_with_a_stale_version_is_a_conflict(gql: GraphQLClient) -> None:
    article = await _create(gql)
    await gql(UPDATE, {"id": article["id"], "input": {"title": "Changed"}})

    data = await gql(PUBLISH, {"id": article["id"], "v": 1})

    assert data["publishKbArticle"]["errors"] == [
        {"code": "CONFLICT", "field": ["expectedVersion"]}
    ]


async def test_unpublish_returns_the_article_to_draft(gql: GraphQLClient) -> None:
    article = await _create(gql)
    await gql(PUBLISH, {"id": article["id"]})

    data = await gql(UNPUBLISH, {"id": article["id"]})

    assert data["unpublishKbArticle"] == {"kbArticle": {"status": "DRAFT"}, "errors": []}


async def test_update_changes_the_given_fields(gql: GraphQLClient) -> None:
    article = await _create(gql, tags=["a"])

    data = await gql(UPDATE, {"id": article["id"], "input": {"title": "Reset it", "tags": ["b"]}})

    assert data["updateKbArticle"] == {
        "kbArticle": {"title": "Reset it", "tags": ["b"], "version": 2},
        "errors": [],
    }


async def test_delete_and_restore_record_events(
    gql: GraphQLClient, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    article = await _create(gql)

    await gql(
        "mutation($id: ID!) { deleteKbArticle(id: $id) { errors { code } } }", {"id": article["id"]}
    )
    listed = await gql(LIST)
    await gql(
        "mutation($id: ID!) { restoreKbArticle(id: $id) { errors { code } } }",
        {"id": article["id"]},
    )

    assert listed["kbArticles"]["totalCount"] == 0
    assert (await gql(LIST))["kbArticles"]["totalCount"] == 1
    assert await _event_types(session_factory) == [
        "kb_article.created",
        "kb_article.deleted",
        "kb_article.restored",
    ]


async def test_author_is_the_writing_user(
    http: httpx.AsyncClient, settings: Any, make: Any
) -> None:
    from tests.schema.test_visibility import as_user

    sue = await make.user(name="Sue", role="support")
    support = as_user(http, settings, sue)

    article = await _create(support)

    assert article["author"] == {"name": "Sue"}


@pytest.fixture
async def draft_and_published(gql: GraphQLClient) -> dict[str, Any]:
    draft = await _create(gql, title="Draft article")
    published = await _create(gql, title="Published article")
    await gql(PUBLISH, {"id": published["id"]})
    return {"draft": draft, "published": published}


async def test_readers_see_published_articles_only(
    http: httpx.AsyncClient, settings: Any, make: Any, draft_and_published: dict[str, Any]
) -> None:
    reader = await partner_with(make, http, settings, "knowledge:read")

    data = await reader(LIST)

    assert data["kbArticles"] == {
        "totalCount": 1,
        "nodes": [{"title": "Published article", "status": "PUBLISHED"}],
    }


async def test_readers_cannot_fetch_a_draft_by_id(
    http: httpx.AsyncClient, settings: Any, make: Any, draft_and_published: dict[str, Any]
) -> None:
    reader = await partner_with(make, http, settings, "knowledge:read")

    data = await reader(
        "query($id: ID!) { node(id: $id) { id } }", {"id": draft_and_published["draft"]["id"]}
    )

    assert data == {"node": None}


async def test_writers_see_drafts(gql: GraphQLClient, draft_and_published: dict[str, Any]) -> None:
    data = await gql(LIST)

    assert data["kbArticles"]["nodes"] == [
        {"title": "Draft article", "status": "DRAFT"},
        {"title": "Published article", "status": "PUBLISHED"},
    ]


async def test_readers_may_not_write(
    http: httpx.AsyncClient, settings: Any, make: Any, draft_and_published: dict[str, Any]
) -> None:
    reader = await partner_with(make, http, settings, "knowledge:read")

    errors = await reader.errors(PUBLISH, {"id": draft_and_published["draft"]["id"]})

    assert errors[0]["extensions"] == {"code": "FORBIDDEN", "scope": "knowledge:write"}


async def test_articles_need_the_knowledge_read_scope(
    http: httpx.AsyncClient, settings: Any, make: Any
) -> None:
    partner = await partner_with(make, http, settings, "tickets:read")

    errors = await partner.errors(LIST)

    assert errors[0]["extensions"]["scope"] == "knowledge:read"


async def test_articles_are_relay_nodes(gql: GraphQLClient) -> None:
    article = await _create(gql)

    data = await gql(
        "query($id: ID!) { node(id: $id) { ... on KbArticle { title } } }", {"id": article["id"]}
    )

    assert data == {"node": {"title": "Reset your password"}}


async def test_readers_vote_on_published_articles(
    http: httpx.AsyncClient, settings: Any, make: Any, draft_and_published: dict[str, Any]
) -> None:
    reader = await partner_with(make, http, settings, "knowledge:read")
    vote = """
    mutation($id: ID!, $helpful: Boolean!) {
      voteKbArticle(articleId: $id, helpful: $helpful) {
        kbArticle { helpfulCount notHelpfulCount } errors { code field }
      }
    }
    """
    article_id = draft_and_published["published"]["id"]

    await reader(vote, {"id": article_id, "helpful": True})
    data = await reader(vote, {"id": article_id, "helpful": False})
    draft = await reader(vote, {"id": draft_and_published["draft"]["id"], "helpful": True})

    assert data["voteKbArticle"] == {
        "kbArticle": {"helpfulCount": 0, "notHelpfulCount": 1},
        "errors": [],
    }
    assert draft["voteKbArticle"]["errors"] == [{"code": "NOT_FOUND", "field": ["articleId"]}]
