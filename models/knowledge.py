"""The knowledge base: articles, the tickets they solved and readers' votes.

Full-text search is not modelled here: migration 0010 adds it per database (PostgreSQL: the
generated `kb_articles.search_vector` tsvector with a GIN index; SQLite: the FTS5 table
`kb_articles_fts` kept in step by triggers). `SEARCH_OBJECTS` names them for the migration check.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, CheckConstraint, String, Text, UniqueConstraint
from sqlmodel import Field

from models.base import Entity, SoftDeletable, UTCDateTime, empty_list, enum_check, utcnow

SEARCH_OBJECTS = frozenset({"search_vector", "ix_kb_articles_search_vector", "kb_articles_fts"})


class ArticleStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"


class KbArticle(Entity, SoftDeletable, table=True):
    __tablename__ = "kb_articles"
    __table_args__ = (
        enum_check("status", ArticleStatus, "ck_kb_articles_status"),
        CheckConstraint("length(title) > 0", name="ck_kb_articles_title_not_empty"),
    )

    title: str = Field(sa_type=String(300), index=True)
    body: str = Field(sa_type=Text)
    category: str | None = Field(default=None, sa_type=String(100), index=True)
    tags: list[str] = Field(default_factory=empty_list, sa_type=JSON)
    status: ArticleStatus = Field(default=ArticleStatus.DRAFT, sa_type=String(32), index=True)
    author_id: uuid.UUID | None = Field(default=None, foreign_key="users.id", index=True)
    published_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    helpful_count: int = Field(default=0)
    not_helpful_count: int = Field(default=0)


class KbArticleTicket(Entity, table=True):
    """An article that solved (or helped solve) a ticket."""

    __tablename__ = "kb_article_tickets"
    __table_args__ = (
        UniqueConstraint("article_id", "ticket_id", name="uq_kb_article_tickets_pair"),
    )

    article_id: uuid.UUID = Field(foreign_key="kb_articles.id", index=True)
    ticket_id: uuid.UUID = Field(foreign_key="tickets.id", index=True)
    linked_by_id: uuid.UUID | None = Field(default=None, foreign_key="users.id")


class KbArticleVote(Entity, table=True):
    """One reader's helpful / not helpful vote; voting again changes it."""

    __tablename__ = "kb_article_votes"
    __table_args__ = (UniqueConstraint("article_id", "voter", name="uq_kb_article_votes_voter"),)

    article_id: uuid.UUID = Field(foreign_key="kb_articles.id", index=True)
    # The principal's subject ("user:<id>", "client:<id>").
    voter: str = Field(sa_type=String(200))
    helpful: bool
    voted_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
