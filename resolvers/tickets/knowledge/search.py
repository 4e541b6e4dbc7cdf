"""Full-text search over articles, ranked by relevance, in each database's own engine.

PostgreSQL: the generated `kb_articles.search_vector` (title A, category B, body C) matched by
`websearch_to_tsquery` through its GIN index, ranked by `ts_rank_cd`, excerpts by `ts_headline`.
SQLite: the FTS5 table `kb_articles_fts` joined on `article_id`, ranked by `bm25` with the
title weighing 10, the category 5 and the body 1, excerpts by `snippet()`. Ranks are comparable
within one result list only; higher is more relevant on both.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Float, Select, bindparam, column, func, literal, select, table
from sqlalchemy import literal_column as sql
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnClause

from kernel.principal import Principal
from kernel.tables import table_of
from kernel.visibility import row_filter
from models import ArticleStatus, KbArticle, Ticket
from resolvers.tickets.knowledge.query_text import (
    any_of_fts5,
    any_of_websearch,
    fts5_query,
    significant_terms,
)
from resolvers.tickets.knowledge.visibility import article_filter

kb_articles = table_of(KbArticle)
tickets = table_of(Ticket)
fts = table("kb_articles_fts", column("article_id"), column("title"), column("body"))

MARK = "**"  # around matched words in snippets (Markdown bold); the text itself is not escaped
HEADLINE = f"StartSel={MARK}, StopSel={MARK}, MaxWords=30, MinWords=12, ShortWord=2"
SNIPPET_TOKENS = 24
ELLIPSIS = "…"


@dataclass(frozen=True)
class SearchHit:
    row: Any
    rank: float
    snippet: str | None


async def search_articles(
    session: AsyncSession,
    principal: Principal,
    text: str,
    limit: int,
    offset: int = 0,
    category: str | None = None,
) -> list[SearchHit]:
    """The articles matching websearch-style ``text`` that the principal sees, most relevant
    first (ties by id)."""
    conditions = _visible(principal)
    if category is not None:
        conditions.append(kb_articles.c.category == category)
    if session.get_bind().dialect.name == "postgresql":
        return await _postgres(session, text, conditions, limit, offset)
    query = fts5_query(text)
    if query is None:
        return []
    return await _sqlite(session, query, conditions, limit, offset)


async def suggest_articles(
    session: AsyncSession, principal: Principal, ticket_id: uuid.UUID, limit: int
) -> list[SearchHit] | None:
    """Published articles matching any significant word of the ticket's subject and
    description, best first; None when the principal does not see the ticket."""
    statement = select(tickets.c.subject, tickets.c.description).where(
        tickets.c.id == ticket_id, tickets.c.deleted_at.is_(None)
    )
    if (visible := row_filter("tickets", principal)) is not None:
        statement = statement.where(visible)
    ticket = (await session.execute(statement)).first()
    if ticket is None:
        return None
    terms = significant_terms(ticket.subject, ticket.description)
    conditions = [*_visible(principal), kb_articles.c.status == ArticleStatus.PUBLISHED.value]
    if session.get_bind().dialect.name == "postgresql":
        text = any_of_websearch(terms)
        return [] if text is None else await _postgres(session, text, conditions, limit, 0)
    query = any_of_fts5(terms)
    return [] if query is None else await _sqlite(session, query, conditions, limit, 0)


def _visible(principal: Principal) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [kb_articles.c.deleted_at.is_(None)]
    if (visible := article_filter(principal)) is not None:
        conditions.append(visible)
    return conditions


async def _postgres(
    session: AsyncSession,
    text: str,
    conditions: Sequence[ColumnElement[bool]],
    limit: int,
    offset: int,
) -> list[SearchHit]:
    query = func.websearch_to_tsquery(sql("'english'::regconfig"), bindparam("q", text))
    vector: ColumnClause[Any] = sql("kb_articles.search_vector")
    rank = func.ts_rank_cd(vector, query, type_=Float)
    # The page first, through the GIN index; excerpts only for its rows.
    page = (
        select(kb_articles.c.id, rank.label("rank"))
        .where(vector.op("@@")(query), *conditions)
        .order_by(rank.desc(), kb_articles.c.id)
        .limit(limit)
        .offset(offset)
        .subquery("page")
    )
    headline = func.ts_headline(
        sql("'english'::regconfig"), kb_articles.c.body, query, literal(HEADLINE)
    )
    statement = (
        select(kb_articles, page.c.rank, headline.label("snippet"))
        .join(page, page.c.id == kb_articles.c.id)
        .order_by(page.c.rank.desc(), kb_articles.c.id)
    )
    return await _hits(session, statement)


async def _sqlite(
    session: AsyncSession,
    query: str,
    conditions: Sequence[ColumnElement[bool]],
    limit: int,
    offset: int,
) -> list[SearchHit]:
    fts_table: ColumnClause[Any] = sql("kb_articles_fts")
    # bm25 is lower for better matches; the article_id column (unindexed) weighs nothing.
    score = func.bm25(fts_table, sql("0"), sql("10.0"), sql("5.0"), sql("1.0"), type_=Float)
    snippet = func.snippet(
        fts_table, sql("3"), literal(MARK), literal(MARK), literal(ELLIPSIS), SNIPPET_TOKENS
    )
    statement = (
        select(kb_articles, (-score).label("rank"), snippet.label("snippet"))
        .select_from(fts.join(kb_articles, fts.c.article_id == kb_articles.c.id))
        .where(fts_table.op("MATCH")(bindparam("q", query)), *conditions)
        .order_by(score, kb_articles.c.id)
        .limit(limit)
        .offset(offset)
    )
    return await _hits(session, statement)


async def _hits(session: AsyncSession, statement: Select[Any]) -> list[SearchHit]:
    rows = (await session.execute(statement)).all()
    return [SearchHit(row, float(row.rank), row.snippet) for row in rows]
