"""Consent history: what each person agreed to, or withdrew, when and how. Never updated."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index, String
from sqlmodel import Field, SQLModel

from models.base import UTCDateTime, enum_check, utcnow


class ConsentPurpose(StrEnum):
    MARKETING_EMAIL = "marketing_email"
    MARKETING_PHONE = "marketing_phone"
    PROFILING = "profiling"
    THIRD_PARTY_SHARING = "third_party_sharing"


class Consent(SQLModel, table=True):
    """One grant or withdrawal; the latest per contact and purpose is the one in force."""

    __tablename__ = "consents"
    __table_args__ = (
        enum_check("purpose", ConsentPurpose, "ck_consents_purpose"),
        Index("ix_consents_contact_purpose", "contact_id", "purpose", "occurred_at"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    contact_id: uuid.UUID = Field(foreign_key="contacts.id", index=True)
    purpose: ConsentPurpose = Field(sa_type=String(32))
    granted: bool
    occurred_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    # How it was given or withdrawn, e.g. "web form", "phone call"; cleared on erasure.
    source: str | None = Field(default=None, sa_type=String(300))
    # Who recorded it (`user:<email>`, `client:<id>`, ...).
    recorded_by: str = Field(sa_type=String(200))
