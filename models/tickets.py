"""Tickets and their comments, SLA policies and business calendars, and the knowledge base."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, String, Text, UniqueConstraint
from sqlmodel import Field

from models.base import Entity, SoftDeletable, UTCDateTime, empty_list, enum_check, utcnow


class TicketStatus(StrEnum):
    NEW = "new"
    OPEN = "open"
    PENDING = "pending"
    RESOLVED = "resolved"
    CLOSED = "closed"


class TicketPriority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class TicketChannel(StrEnum):
    EMAIL = "email"
    PHONE = "phone"
    WEB = "web"
    CHAT = "chat"
    API = "api"


class Ticket(Entity, SoftDeletable, table=True):
    __tablename__ = "tickets"
    __table_args__ = (
        enum_check("status", TicketStatus, "ck_tickets_status"),
        enum_check("priority", TicketPriority, "ck_tickets_priority"),
        enum_check("channel", TicketChannel, "ck_tickets_channel"),
        CheckConstraint("length(subject) > 0", name="ck_tickets_subject_not_empty"),
        UniqueConstraint("external_id", name="uq_tickets_external_id"),
        CheckConstraint(
            "csat_rating IS NULL OR (csat_rating >= 1 AND csat_rating <= 5)",
            name="ck_tickets_csat_rating",
        ),
    )

    subject: str = Field(sa_type=String(300), index=True)
    description: str | None = Field(default=None, sa_type=Text)
    status: TicketStatus = Field(default=TicketStatus.NEW, sa_type=String(32), index=True)
    priority: TicketPriority = Field(default=TicketPriority.NORMAL, sa_type=String(32), index=True)
    channel: TicketChannel = Field(default=TicketChannel.EMAIL, sa_type=String(32), index=True)
    customer_id: uuid.UUID | None = Field(default=None, foreign_key="customers.id", index=True)
    contact_id: uuid.UUID | None = Field(default=None, foreign_key="contacts.id", index=True)
    assignee_id: uuid.UUID | None = Field(default=None, foreign_key="users.id", index=True)
    team_id: uuid.UUID | None = Field(default=None, foreign_key="teams.id", index=True)
    resolved_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    external_id: str | None = Field(default=None, sa_type=String(200))
    # Service levels: the policy in force, the due times it gave (moved on by time spent pending)
    # and when the first public staff reply came.
    sla_policy_id: uuid.UUID | None = Field(default=None, foreign_key="sla_policies.id")
    first_response_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    first_response_due: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    resolution_due: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    sla_paused_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    sla_paused_seconds: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    reopened_count: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    csat_rating: int | None = Field(default=None)
    csat_comment: str | None = Field(default=None, sa_type=Text)
    csat_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class TicketComment(Entity, SoftDeletable, table=True):
    __tablename__ = "ticket_comments"
    __table_args__ = (CheckConstraint("length(body) > 0", name="ck_ticket_comments_body"),)

    ticket_id: uuid.UUID = Field(foreign_key="tickets.id", index=True)
    author_id: uuid.UUID | None = Field(default=None, foreign_key="users.id", index=True)
    body: str = Field(sa_type=Text)
    is_public: bool = Field(default=True, index=True)


class SlaTargetKind(StrEnum):
    FIRST_RESPONSE = "first_response"
    RESOLUTION = "resolution"


class BusinessCalendar(Entity, table=True):
    """Working hours in a time zone, and the holidays on which nobody works."""

    __tablename__ = "business_calendars"

    name: str = Field(sa_type=String(200), unique=True)
    time_zone: str = Field(sa_type=String(64))
    # [{"weekday": 0..6 (Monday 0), "start": "09:00", "end": "17:00"}, ...]
    working_hours: list[dict[str, Any]] = Field(default_factory=empty_list, sa_type=JSON)
    # ["2026-12-25", ...]: local dates.
    holidays: list[str] = Field(default_factory=empty_list, sa_type=JSON)


class SlaPolicy(Entity, SoftDeletable, table=True):
    """Service-level targets per priority; for one customer tier, or the default (no tier).
    Without a calendar, targets count calendar hours."""

    __tablename__ = "sla_policies"

    name: str = Field(sa_type=String(200), unique=True)
    customer_tier: str | None = Field(default=None, sa_type=String(50), index=True)
    calendar_id: uuid.UUID | None = Field(default=None, foreign_key="business_calendars.id")
    active: bool = Field(default=True, index=True)


class SlaTarget(Entity, table=True):
    __tablename__ = "sla_targets"
    __table_args__ = (
        enum_check("priority", TicketPriority, "ck_sla_targets_priority"),
        UniqueConstraint("policy_id", "priority", name="uq_sla_targets_policy_priority"),
        CheckConstraint(
            "first_response_minutes IS NULL OR first_response_minutes > 0",
            name="ck_sla_targets_first_response",
        ),
        CheckConstraint(
            "resolution_minutes IS NULL OR resolution_minutes > 0",
            name="ck_sla_targets_resolution",
        ),
    )

    policy_id: uuid.UUID = Field(foreign_key="sla_policies.id", index=True)
    priority: TicketPriority = Field(sa_type=String(32))
    first_response_minutes: int | None = Field(default=None)
    resolution_minutes: int | None = Field(default=None)


class SlaBreach(Entity, table=True):
    """A missed target: one row, and one `ticket.sla_breached` event, per ticket and kind."""

    __tablename__ = "sla_breaches"
    __table_args__ = (
        enum_check("kind", SlaTargetKind, "ck_sla_breaches_kind"),
        UniqueConstraint("ticket_id", "kind", name="uq_sla_breaches_ticket_kind"),
    )

    ticket_id: uuid.UUID = Field(foreign_key="tickets.id", index=True)
    kind: SlaTargetKind = Field(sa_type=String(32))
    due_at: datetime = Field(sa_type=UTCDateTime)
    breached_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)


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
