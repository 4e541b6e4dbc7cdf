"""The contact record: calls, emails, meetings and notes."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, String
from sqlmodel import Field

from models.base import Entity, SoftDeletable, UTCDateTime, enum_check
from models.encryption import EncryptedText


class InteractionKind(StrEnum):
    CALL = "call"
    EMAIL = "email"
    MEETING = "meeting"
    NOTE = "note"


class Interaction(Entity, SoftDeletable, table=True):
    __tablename__ = "interactions"
    __table_args__ = (
        enum_check("kind", InteractionKind, "ck_interactions_kind"),
        CheckConstraint(
            "customer_id IS NOT NULL OR contact_id IS NOT NULL",
            name="ck_interactions_has_subject",
        ),
    )

    kind: InteractionKind = Field(sa_type=String(32), index=True)
    occurred_at: datetime = Field(sa_type=UTCDateTime, index=True)
    subject: str = Field(sa_type=String(300))
    # Personal notes: encrypted at rest.
    summary: str | None = Field(default=None, sa_type=EncryptedText)
    customer_id: uuid.UUID | None = Field(default=None, foreign_key="customers.id", index=True)
    contact_id: uuid.UUID | None = Field(default=None, foreign_key="contacts.id", index=True)
    user_id: uuid.UUID | None = Field(default=None, foreign_key="users.id", index=True)
    # The campaign this touch belongs to (a webinar visit, a reply to a mailing): attribution.
    campaign_id: uuid.UUID | None = Field(default=None, foreign_key="campaigns.id", index=True)
