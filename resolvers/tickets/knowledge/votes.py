"""Helpful / not helpful votes: one per principal and article, counted on the article."""

from __future__ import annotations

import uuid

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.errors import ErrorCode, ServiceError
from kernel.principal import Principal, PrincipalKind
from kernel.tables import table_of
from models import ArticleStatus, KbArticle, KbArticleVote, utcnow
from resolvers.tickets.knowledge.visibility import article_filter

kb_articles = table_of(KbArticle)
votes = table_of(KbArticleVote)


def voter_of(principal: Principal) -> str:
    """`user:<id>` for users (stable across email changes), the actor name otherwise."""
    if principal.kind is PrincipalKind.USER and principal.user_id is not None:
        return f"user:{principal.user_id}"
    return principal.actor


async def vote_article(
    session: AsyncSession, principal: Principal, article_id: uuid.UUID, helpful: bool
) -> KbArticle:
    """Record or change the principal's vote on a published article; the counters move in
    the same transaction, by SQL increments, so concurrent votes never lose one."""
    await _published_article(session, principal, article_id)
    voter = voter_of(principal)
    previous = await _current_vote(session, article_id, voter)
    if previous is None:
        try:
            async with session.begin_nested():
                session.add(KbArticleVote(article_id=article_id, voter=voter, helpful=helpful))
                await session.flush()
        except IntegrityError:
            # The same voter's concurrent first vote won the insert: change that one instead.
            previous = await _current_vote(session, article_id, voter)
            if previous is None:
                raise
        else:
            await _count(session, article_id, helpful, +1)
    if previous is not None and previous != helpful:
        await session.execute(
            update(votes)
            .where(votes.c.article_id == article_id, votes.c.voter == voter)
            .values(helpful=helpful, voted_at=utcnow())
        )
        await _count(session, article_id, previous, -1)
        await _count(session, article_id, helpful, +1)
    statement = select(KbArticle).where(kb_articles.c.id == article_id)
    return (await session.execute(statement.execution_options(populate_existing=True))).scalar_one()


async def _published_article(
    session: AsyncSession, principal: Principal, article_id: uuid.UUID
) -> None:
    statement = select(kb_articles.c.status, kb_articles.c.deleted_at).where(
        kb_articles.c.id == article_id
    )
    if (visible := article_filter(principal)) is not None:
        statement = statement.where(visible)
    found = (await session.execute(statement)).first()
    if found is None:
        raise ServiceError.single(ErrorCode.NOT_FOUND, "kb_article not found", "article_id")
    if found.status != ArticleStatus.PUBLISHED or found.deleted_at is not None:
        raise ServiceError.single(
            ErrorCode.INVALID_STATE, "only published articles take votes", "article_id"
        )


async def _current_vote(session: AsyncSession, article_id: uuid.UUID, voter: str) -> bool | None:
    statement = (
        select(votes.c.helpful)
        .where(votes.c.article_id == article_id, votes.c.voter == voter)
        .with_for_update()
    )
    return await session.scalar(statement)


async def _count(session: AsyncSession, article_id: uuid.UUID, helpful: bool, step: int) -> None:
    column = kb_articles.c.helpful_count if helpful else kb_articles.c.not_helpful_count
    await session.execute(
        update(kb_articles).where(kb_articles.c.id == article_id).values({column: column + step})
    )
