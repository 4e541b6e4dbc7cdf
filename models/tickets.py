"""Service tickets and their comments."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, String, Text, UniqueConstraint
from sqlmodel import Field

from models.base import Entity, SoftDeletable, UTCDateTime, enum_check


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
    )

    subject: str = Field(sa_type=String(300), index=True)
    description: str | None = Field(default=None, sa_type=Text)
    status: TicketStatus = Field(default=TicketStatus.NEW, sa_type=String(32), index=True)
    priority: TicketPriority = Field(default=TicketPriority.NORMAL, sa_type=String(32), index=True)
    channel: TicketChannel = Field(default=TicketChannel.EMAIL, sa_type=String(32), index=True)
    customer_id: uuid.UUID | None = Field(default=None, foreign_key="customers.id", index=True)
    contact_id: uuid.UUID | None = Field(default=None, foreign_key="contacts.id", index=True)
    assignee_id: uuid.UUID | None = Field(default=None, foreign_key="users.id", index=True)
    resolved_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    external_id: str | None = Field(default=None, sa_type=String(200))


class TicketComment(Entity, SoftDeletable, table=True):
    __tablename__ = "ticket_comments"
    __table_args__ = (CheckConstraint("length(body) > 0", name="ck_ticket_comments_body"),)

    ticket_id: uuid.UUID = Field(foreign_key="tickets.id", index=True)
    author_id: uuid.UUID | None = Field(default=None, foreign_key="users.id", index=True)
    body: str = Field(sa_type=Text)
    is_public: bool = Field(default=True, index=True)
