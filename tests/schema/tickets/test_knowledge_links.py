"""Links between articles and tickets: mutations, both directions, batched reads."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kernel.unit_of_work import unit_of_work
from models import ArticleStatus, KbArticle, KbArticleTicket
from tests.conftest import GraphQLClient
from tests.factories import gid
from tests.schema.test_permissions import partner_with

LINK = """
mutation($a: ID!, $t: ID!) {
  linkKbArticleToTicket(articleId: $a, ticketId: $t) {
    kbArticle { title tickets { totalCount nodes { subject } } } ticket { subject }
    errors { code field }
  }
}
"""
UNLINK = """
mutation($a: ID!, $t: ID!) {
  unlinkKbArticleFromTicket(articleId: $a, ticketId: $t) { errors { code field } }
}
"""
FOR_TICKET = """
query($t: ID!) { kbArticlesForTicket(ticketId: $t) { totalCount nodes { title } } }
"""


async def _article(session_factory: async_sessionmaker[AsyncSession], title: str) -> KbArticle:
    article = KbArticle(title=title, body="Body", status=ArticleStatus.PUBLISHED)
    async with unit_of_work(session_factory) as session:
        session.add(article)
    return article


async def test_link_shows_on_both_sides(
    gql: GraphQLClient, make: Any, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    article = await _article(session_factory, "Printer offline")
    ticket = await make.ticket(subject="Cannot print")

    data = await gql(LINK, {"a": gid("KbArticle", article), "t": gid("Ticket", ticket)})

    assert data["linkKbArticleToTicket"] == {
        "kbArticle": {
            "title": "Printer offline",
            "tickets": {"totalCount": 1, "nodes": [{"subject": "Cannot print"}]},
        },
        "ticket": {"subject": "Cannot print"},
        "errors": [],
    }
    listed = await gql(FOR_TICKET, {"t": gid("Ticket", ticket)})
    assert listed["kbArticlesForTicket"] == {
        "totalCount": 1,
        "nodes": [{"title": "Printer offline"}],
    }


async def test_linking_twice_keeps_one_link(
    gql: GraphQLClient, make: Any, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    article = await _article(session_factory, "Printer offline")
    ticket = await make.ticket()
    ids = {"a": gid("KbArticle", article), "t": gid("Ticket", ticket)}

    await gql(LINK, ids)
    data = await gql(LINK, ids)

    assert data["linkKbArticleToTicket"]["kbArticle"]["tickets"]["totalCount"] == 1


async def test_unlink_removes_the_link(
    gql: GraphQLClient, make: Any, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    article = await _article(session_factory, "Printer offline")
    ticket = await make.ticket()
    ids = {"a": gid("KbArticle", article), "t": gid("Ticket", ticket)}
    await gql(LINK, ids)

    first = await gql(UNLINK, ids)
    again = await gql(UNLINK, ids)

    assert first["unlinkKbArticleFromTicket"]["errors"] == []
    assert again["unlinkKbArticleFromTicket"]["errors"] == [
        {"code": "NOT_FOUND", "field": ["ticketId"]}
    ]
    assert (await gql(FOR_TICKET, {"t": ids["t"]}))["kbArticlesForTicket"]["totalCount"] == 0


async def test_link_to_unknown_records_names_each_argument(gql: GraphQLClient, make: Any) -> None:
    customer = await make.customer()

    data = await gql(LINK, {"a": gid("KbArticle", customer), "t": gid("Ticket", customer)})

    assert data["linkKbArticleToTicket"]["errors"] == [
        {"code": "NOT_FOUND", "field": ["articleId"]},
        {"code": "NOT_FOUND", "field": ["ticketId"]},
    ]


async def test_link_with_an_id_of_another_type_is_not_found(gql: GraphQLClient, make: Any) -> None:
    customer = await make.customer()

    data = await gql(LINK, {"a": gid("Customer", customer), "t": gid("Ticket", customer)})

    assert data["linkKbArticleToTicket"]["errors"] == [
        {"code": "NOT_FOUND", "field": ["articleId"]}
    ]


async def test_linking_needs_tickets_write(
    http: httpx.AsyncClient, settings: Any, make: Any
) -> None:
    partner = await partner_with(make, http, settings, "knowledge:read", "tickets:read")

    errors = await partner.errors(UNLINK, {"a": "x", "t": "y"})

    assert errors[0]["extensions"] == {"code": "FORBIDDEN", "scope": "tickets:write"}


async def _linked_corpus(
    make: Any, session_factory: async_sessionmaker[AsyncSession], articles: int
) -> None:
    """``articles`` articles by one author, each linked to two tickets of a customer."""
    author = await make.user(name="Sue", role="support")
    customer = await make.customer(name="Acme")
    tickets = [await make.ticket(customer_id=customer.id) for _ in range(2)]
    async with unit_of_work(session_factory) as session:
        for n in range(articles):
            article = KbArticle(
                title=f"Article {n:02}",
                body="Body",
                author_id=author.id,
                status=ArticleStatus.PUBLISHED,
            )
            session.add(article)
            await session.flush()
            session.add_all(
                KbArticleTicket(article_id=article.id, ticket_id=ticket.id) for ticket in tickets
            )


NESTED = """
query($first: Int!) {
  kbArticles(first: $first) {
    nodes {
      title author { name }
      tickets(first: 5) { totalCount nodes { subject customer { name } } }
    }
  }
}
"""
# articles page, authors, tickets pages, tickets' counts, tickets' customers; or all in one.
EXPECTED_STATEMENTS = 5


@pytest.mark.parametrize("articles", [3, 12])
async def test_nested_article_tickets_cost_one_statement_per_level(
    gql: GraphQLClient,
    make: Any,
    session_factory: async_sessionmaker[AsyncSession],
    count_statements: Any,
    one_statement: bool,
    articles: int,
) -> None:
    await _linked_corpus(make, session_factory, articles)

    with count_statements() as counter:
        data = await gql(NESTED, {"first": articles})

    nodes = data["kbArticles"]["nodes"]
    assert len(nodes) == articles
    assert all(node["tickets"]["totalCount"] == 2 for node in nodes)
    assert all(node["author"] == {"name": "Sue"} for node in nodes)
    assert counter.count == (1 if one_statement else EXPECTED_STATEMENTS)
