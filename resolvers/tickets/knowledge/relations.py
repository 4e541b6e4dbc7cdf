"""The article-ticket links as relations both ways, read a level at a time by `Loaders`."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from kernel.loaders import ToMany
from kernel.tables import table_of
from models import KbArticleTicket
from resolvers.graph import SPECS

links = table_of(KbArticleTicket)


def _pairs(parent: Any, child: Any) -> Any:
    return select(parent.label("parent_key"), child.label("child_id")).subquery()


TICKETS_BY_KB_ARTICLE = ToMany(
    "tickets_by_kb_article",
    "ticket",
    SPECS["ticket"],
    through=lambda: _pairs(links.c.article_id, links.c.ticket_id),
)
KB_ARTICLES_BY_TICKET = ToMany(
    "kb_articles_by_ticket",
    "kb_article",
    SPECS["kb_article"],
    through=lambda: _pairs(links.c.ticket_id, links.c.article_id),
)
