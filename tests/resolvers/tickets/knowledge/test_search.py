"""Full-text article search on a fixed corpus: the same ranking on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kernel.principal import Principal, PrincipalKind
from kernel.unit_of_work import unit_of_work
from models import ArticleStatus, KbArticle
from resolvers.tickets.knowledge.search import search_articles, suggest_articles
from tests.conftest import ADMIN

READER = Principal("reader", PrincipalKind.CLIENT, scopes=frozenset({"knowledge:read"}))
PUBLISHED = ArticleStatus.PUBLISHED
CORPUS = [
    ("Reset your password", "Accounts", "To reset a forgotten password open Settings, Security."),
    (
        "Two-factor authentication",
        "Security",
        "Enable two-factor login. If you lose your phone, reset the password first.",
    ),
    ("Invoices and billing", "Billing", "Download invoices from the billing page."),
    ("Export contacts", "Data", "Export contacts as CSV. Password protected exports are rare."),
]


@pytest.fixture
async def corpus(session_factory: async_sessionmaker[AsyncSession]) -> dict[str, Any]:
    """Four published articles and one draft about passwords."""
    rows = [KbArticle(title=t, category=c, body=b, status=PUBLISHED) for t, c, b in CORPUS]
    rows.append(KbArticle(title="Password policy", body="Passwords need twelve characters."))
    async with unit_of_work(session_factory) as session:
        session.add_all(rows)
    return {row.title: row.id for row in rows}


async def _titles(
    session_factory: async_sessionmaker[AsyncSession],
    text: str,
    principal: Principal = READER,
    limit: int = 10,
    offset: int = 0,
) -> list[str]:
    async with session_factory() as session:
        hits = await search_articles(session, principal, text, limit, offset)
    return [hit.row.title for hit in hits]


async def test_title_matches_rank_above_body_matches(
    session_factory: async_sessionmaker[AsyncSession], corpus: dict[str, Any]
) -> None:
    titles = await _titles(session_factory, "password")

    assert titles[0] == "Reset your password"
    assert set(titles[1:]) == {"Two-factor authentication", "Export contacts"}


async def test_every_word_is_required(
    session_factory: async_sessionmaker[AsyncSession], corpus: dict[str, Any]
) -> None:
    titles = await _titles(session_factory, "reset password")

    assert titles == ["Reset your password", "Two-factor authentication"]


async def test_category_matches_rank_above_body_matches(
    session_factory: async_sessionmaker[AsyncSession], corpus: dict[str, Any]
) -> None:
    titles = await _titles(session_factory, "security")

    assert titles == ["Two-factor authentication", "Reset your password"]


async def test_words_match_their_other_forms(
    session_factory: async_sessionmaker[AsyncSession], corpus: dict[str, Any]
) -> None:
    titles = await _titles(session_factory, "exporting")

    assert titles == ["Export contacts"]


async def test_phrase_or_and_exclusion_follow_websearch_rules(
    session_factory: async_sessionmaker[AsyncSession], corpus: dict[str, Any]
) -> None:
    assert await _titles(session_factory, '"forgotten password"') == ["Reset your password"]
    assert set(await _titles(session_factory, "invoices or csv")) == {
        "Invoices and billing",
        "Export contacts",
    }
    assert set(await _titles(session_factory, "password -export")) == {
        "Reset your password",
        "Two-factor authentication",
    }


@pytest.mark.parametrize(
    "text",
    ['password"', '"', "password OR", "AND", "NOT password", "(password", "title:password", "*"],
)
async def test_operators_and_stray_quotes_never_fail(
    session_factory: async_sessionmaker[AsyncSession], corpus: dict[str, Any], text: str
) -> None:
    titles = await _titles(session_factory, text)

    assert set(titles) <= {"Reset your password", "Two-factor authentication", "Export contacts"}


async def test_stop_words_alone_find_nothing(
    session_factory: async_sessionmaker[AsyncSession], corpus: dict[str, Any]
) -> None:
    assert await _titles(session_factory, "the and of") == []


async def test_readers_do_not_find_drafts_but_writers_do(
    session_factory: async_sessionmaker[AsyncSession], corpus: dict[str, Any]
) -> None:
    assert "Password policy" not in await _titles(session_factory, "twelve characters")
    assert await _titles(session_factory, "twelve characters", ADMIN) == ["Password policy"]


async def test_pages_continue_in_rank_order(
    session_factory: async_sessionmaker[AsyncSession], corpus: dict[str, Any]
) -> None:
    everything = await _titles(session_factory, "password")

    pages = [
        *await _titles(session_factory, "password", limit=2),
        *await _titles(session_factory, "password", limit=2, offset=2),
    ]

    assert pages == everything


async def test_snippets_highlight_matched_words(
    session_factory: async_sessionmaker[AsyncSession], corpus: dict[str, Any]
) -> None:
    async with session_factory() as session:
        [hit] = await search_articles(session, READER, "billing", 10)

    assert hit.snippet is not None
    assert "**billing**" in hit.snippet
    assert hit.rank > 0


async def test_suggestions_come_from_the_ticket_subject_and_description(
    session_factory: async_sessionmaker[AsyncSession], corpus: dict[str, Any], make: Any
) -> None:
    ticket = await make.ticket(
        subject="Cannot reset my password", description="It says: password is wrong (error 42)"
    )

    async with session_factory() as session:
        hits = await suggest_articles(session, ADMIN, ticket.id, 5)

    assert hits is not None
    titles = [hit.row.title for hit in hits]
    assert titles[0] == "Reset your password"
    # The draft matches too, but suggestions are published articles only.
    assert set(titles) == {"Reset your password", "Two-factor authentication", "Export contacts"}


async def test_suggestions_for_a_ticket_without_useful_words_are_empty(
    session_factory: async_sessionmaker[AsyncSession], corpus: dict[str, Any], make: Any
) -> None:
    ticket = await make.ticket(subject="Hi, it is me", description="??? 123")

    async with session_factory() as session:
        assert await suggest_articles(session, ADMIN, ticket.id, 5) == []
