"""Links between articles and the tickets they solved (tickets:write)."""

from __future__ import annotations

import uuid

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.audit import record_audit
from kernel.errors import ErrorCode, ServiceError, UserError
from kernel.principal import Principal
from kernel.tables import table_of
from kernel.visibility import row_filter
from models import KbArticle, KbArticleTicket, Ticket
from resolvers.tickets.knowledge.visibility import article_filter

kb_articles = table_of(KbArticle)
tickets = table_of(Ticket)
links = table_of(KbArticleTicket)


async def link_article(
    session: AsyncSession, principal: Principal, article_id: uuid.UUID, ticket_id: uuid.UUID
) -> tuple[KbArticle, Ticket]:
    """Link an article to a ticket it helped solve; linking again changes nothing."""
    article, ticket = await _pair(session, principal, article_id, ticket_id)
    existing = await session.scalar(
        select(links.c.id).where(links.c.article_id == article_id, links.c.ticket_id == ticket_id)
    )
    if existing is None:
        link = KbArticleTicket(
            article_id=article_id, ticket_id=ticket_id, linked_by_id=principal.user_id
        )
        session.add(link)
        await session.flush()
        change = {"ticket_id": {"old": None, "new": str(ticket_id)}}
        record_audit(
            session, principal, "kb_article.ticket_linked", "kb_article", article_id, change
        )
    return article, ticket


async def unlink_article(
    session: AsyncSession, principal: Principal, article_id: uuid.UUID, ticket_id: uuid.UUID
) -> tuple[KbArticle, Ticket]:
    """Remove a link; NOT_FOUND when there is none."""
    article, ticket = await _pair(session, principal, article_id, ticket_id)
    result = await session.execute(
        delete(links).where(links.c.article_id == article_id, links.c.ticket_id == ticket_id)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        raise ServiceError.single(
            ErrorCode.NOT_FOUND, "the article is not linked to this ticket", "ticket_id"
        )
    change = {"ticket_id": {"old": str(ticket_id), "new": None}}
    record_audit(session, principal, "kb_article.ticket_unlinked", "kb_article", article_id, change)
    return article, ticket


async def _pair(
    session: AsyncSession, principal: Principal, article_id: uuid.UUID, ticket_id: uuid.UUID
) -> tuple[KbArticle, Ticket]:
    """The article and the ticket, each if the principal sees it and it is not deleted."""
    article_query = select(KbArticle).where(
        kb_articles.c.id == article_id, kb_articles.c.deleted_at.is_(None)
    )
    if (visible := article_filter(principal)) is not None:
        article_query = article_query.where(visible)
    ticket_query = select(Ticket).where(tickets.c.id == ticket_id, tickets.c.deleted_at.is_(None))
    if (visible := row_filter("tickets", principal)) is not None:
        ticket_query = ticket_query.where(visible)
    article = (await session.execute(article_query)).scalar_one_or_none()
    ticket = (await session.execute(ticket_query)).scalar_one_or_none()
    if article is None or ticket is None:
        missing = [
            UserError(ErrorCode.NOT_FOUND, f"{name} not found", (field,))
            for name, field, row in (
                ("kb_article", "article_id", article),
                ("ticket", "ticket_id", ticket),
            )
            if row is None
        ]
        raise ServiceError(missing)
    return article, ticket
