"""Helpful / not helpful votes: one per voter, re-voting moves the counters, no lost updates."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kernel.errors import ErrorCode, ServiceError
from kernel.principal import Principal, PrincipalKind
from kernel.unit_of_work import unit_of_work
from models import ArticleStatus, KbArticle, KbArticleVote
from resolvers.tickets.knowledge.votes import vote_article


def _user(n: int) -> Principal:
    return Principal(f"u{n}@example.com", PrincipalKind.USER, role="support", user_id=uuid.uuid4())


async def _article(
    session_factory: async_sessionmaker[AsyncSession],
    status: ArticleStatus = ArticleStatus.PUBLISHED,
) -> uuid.UUID:
    article = KbArticle(title="Printer offline", body="Restart it.", status=status)
    async with unit_of_work(session_factory) as session:
        session.add(article)
    return article.id


async def _vote(
    session_factory: async_sessionmaker[AsyncSession],
    principal: Principal,
    article_id: uuid.UUID,
    helpful: bool,
) -> KbArticle:
    async with unit_of_work(session_factory) as session:
        return await vote_article(session, principal, article_id, helpful)


async def _counts(
    session_factory: async_sessionmaker[AsyncSession], article_id: uuid.UUID
) -> tuple[int, int, int]:
    async with session_factory() as session:
        article = await session.get(KbArticle, article_id)
        votes = await session.scalar(select(func.count()).select_from(KbArticleVote))
    assert article is not None
    assert votes is not None
    return article.helpful_count, article.not_helpful_count, votes


async def test_votes_are_counted_per_kind(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    article_id = await _article(session_factory)

    await _vote(session_factory, _user(1), article_id, True)
    await _vote(session_factory, _user(2), article_id, True)
    article = await _vote(session_factory, _user(3), article_id, False)

    assert (article.helpful_count, article.not_helpful_count) == (2, 1)


async def test_voting_again_changes_the_vote(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    article_id = await _article(session_factory)
    voter = _user(1)

    await _vote(session_factory, voter, article_id, True)
    await _vote(session_factory, voter, article_id, False)

    assert await _counts(session_factory, article_id) == (0, 1, 1)


async def test_the_same_vote_again_changes_nothing(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    article_id = await _article(session_factory)
    voter = _user(1)

    await _vote(session_factory, voter, article_id, True)
    await _vote(session_factory, voter, article_id, True)

    assert await _counts(session_factory, article_id) == (1, 0, 1)


async def test_drafts_take_no_votes(session_factory: async_sessionmaker[AsyncSession]) -> None:
    article_id = await _article(session_factory, ArticleStatus.DRAFT)

    with pytest.raises(ServiceError) as refused:
        await _vote(session_factory, _user(1), article_id, True)

    assert refused.value.errors[0].code is ErrorCode.INVALID_STATE


async def test_concurrent_votes_are_all_counted(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    article_id = await _article(session_factory)
    voters = [_user(n) for n in range(8)]

    await asyncio.gather(
        *(_vote(session_factory, voter, article_id, n % 2 == 0) for n, voter in enumerate(voters))
    )

    assert await _counts(session_factory, article_id) == (4, 4, 8)


async def test_concurrent_changes_of_one_voter_keep_counters_consistent(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    article_id = await _article(session_factory)
    voter = _user(1)

    await asyncio.gather(*(_vote(session_factory, voter, article_id, n % 2 == 0) for n in range(6)))

    helpful, not_helpful, votes = await _counts(session_factory, article_id)
    assert votes == 1
    assert helpful + not_helpful == 1
