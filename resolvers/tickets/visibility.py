"""Which tickets, comments and knowledge-base articles a principal sees."""

from __future__ import annotations

from sqlalchemy import ColumnElement, select

from kernel.principal import Principal
from kernel.tables import table_of
from kernel.visibility import RowRule
from models.tickets import KbArticle, Ticket, TicketComment
from resolvers.customers.visibility import visible_customer_ids
from resolvers.identity.visibility import Reach, reach
from resolvers.tickets.knowledge.visibility import article_filter

tickets = table_of(Ticket)
comments = table_of(TicketComment)
kb_articles = table_of(KbArticle)


def _tickets(principal: Principal) -> ColumnElement[bool] | None:
    # Support agents see every ticket; sales users those of the customers they see.
    if reach(principal) is Reach.TEAM:
        return tickets.c.customer_id.in_(visible_customer_ids(principal))
    return None


def _comments(principal: Principal) -> ColumnElement[bool] | None:
    if reach(principal) is Reach.TEAM:
        visible = select(tickets.c.id).where(
            tickets.c.customer_id.in_(visible_customer_ids(principal))
        )
        return comments.c.ticket_id.in_(visible)
    return None


ROW_RULES: dict[str, RowRule] = {
    tickets.name: _tickets,
    comments.name: _comments,
    # By scope, not role: drafts are for writers only.
    kb_articles.name: article_filter,
}
