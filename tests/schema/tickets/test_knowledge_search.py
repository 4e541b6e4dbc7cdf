"""Searching and suggesting articles through GraphQL: hits, pages, snippets and arguments."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kernel.unit_of_work import unit_of_work
from models import ArticleStatus, KbArticle
from tests.conftest import GraphQLClient
from tests.factories import gid

SEARCH = """
query($q: String!, $first: Int, $after: String, $category: String) {
  searchKbArticles(query: $q, first: $first, after: $after, category: $category) {
    edges { node { title } rank snippet cursor }
    hasNextPage endCursor
  }
}
"""
SUGGEST = """
query($id: ID!) { suggestedKbArticles(ticketId: $id, first: 3) { node { title } snippet } }
"""


@pytest.fixture
async def articles(session_factory: async_sessionmaker[AsyncSession]) -> None:
    async with unit_of_work(session_factory) as session:
        for n, (title, category) in enumerate(
            [("Printer offline", "Hardware"), ("Printer jams", "Hardware"), ("VPN", "Network")]
        ):
            body = f"Step {n}: restart the printer and check the cable." if n < 2 else "Use VPN."
            session.add(
                KbArticle(title=title, category=category, body=body, status=ArticleStatus.PUBLISHED)
            )


async def test_search_answers_ranked_hits_with_snippets(gql: GraphQLClient, articles: None) -> None:
    data = await gql(SEARCH, {"q": "printer cable"})

    edges = data["searchKbArticles"]["edges"]
    assert {edge["node"]["title"] for edge in edges} == {"Printer offline", "Printer jams"}
    assert all("**cable**" in edge["snippet"] for edge in edges)
    assert edges[0]["rank"] >= edges[1]["rank"]
    assert data["searchKbArticles"]["hasNextPage"] is False


async def test_search_pages_follow_the_cursor(gql: GraphQLClient, articles: None) -> None:
    first = (await gql(SEARCH, {"q": "printer", "first": 1}))["searchKbArticles"]
    second = (await gql(SEARCH, {"q": "printer", "first": 1, "after": first["endCursor"]}))[
        "searchKbArticles"
    ]

    assert first["hasNextPage"] is True
    assert second["hasNextPage"] is False
    titles = {first["edges"][0]["node"]["title"], second["edges"][0]["node"]["title"]}
    assert titles == {"Printer offline", "Printer jams"}


async def test_search_within_a_category(gql: GraphQLClient, articles: None) -> None:
    data = await gql(SEARCH, {"q": "restart or vpn", "category": "Network"})

    assert [e["node"]["title"] for e in data["searchKbArticles"]["edges"]] == ["VPN"]


@pytest.mark.parametrize(
    ("variables", "argument"),
    [({"first": 0}, "first"), ({"first": 51}, "first"), ({"after": "bm9wZQ=="}, "after")],
)
async def test_bad_page_arguments_are_bad_user_input(
    gql: GraphQLClient, articles: None, variables: dict[str, Any], argument: str
) -> None:
    errors = await gql.errors(SEARCH, {"q": "printer", **variables})

    assert errors[0]["extensions"] == {"code": "BAD_USER_INPUT", "argument": argument}


async def test_suggested_articles_for_a_ticket(
    gql: GraphQLClient, articles: None, make: Any
) -> None:
    ticket = await make.ticket(subject="Printer is offline", description="Since the update.")

    data = await gql(SUGGEST, {"id": gid("Ticket", ticket)})

    titles = [hit["node"]["title"] for hit in data["suggestedKbArticles"]]
    assert titles == ["Printer offline", "Printer jams"]


async def test_suggestions_for_an_unknown_ticket_are_not_found(
    gql: GraphQLClient, articles: None
) -> None:
    errors = await gql.errors(SUGGEST, {"id": gid("Ticket", KbArticle(title="x", body="x"))})

    assert errors[0]["extensions"] == {"code": "NOT_FOUND", "argument": "ticketId"}
