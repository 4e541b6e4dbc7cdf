"""Which articles a principal sees: writers every one, readers the published ones in use."""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_

from kernel.permissions import Scope, has_scope
from kernel.principal import Principal
from kernel.tables import table_of
from models import ArticleStatus, KbArticle

kb_articles = table_of(KbArticle)


def can_write_articles(principal: Principal) -> bool:
    return has_scope(principal, Scope.KNOWLEDGE_WRITE)


def article_filter(principal: Principal) -> ColumnElement[bool] | None:
    """None for writers (drafts and the trash included); published, undeleted articles for
    everyone else."""
    if can_write_articles(principal):
        return None
    return and_(
        kb_articles.c.status == ArticleStatus.PUBLISHED.value, kb_articles.c.deleted_at.is_(None)
    )
