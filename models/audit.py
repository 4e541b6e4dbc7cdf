"""The append-only audit log."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, Integer, String
from sqlmodel import Field, SQLModel

from models.base import UTCDateTime, utcnow


class AuditEntry(SQLModel, table=True):
    """Who changed what, when and from where; never updated or deleted through the API."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_entity", "entity_type", "entity_id"),)

    position: int | None = Field(
        default=None, primary_key=True, sa_type=BigInteger().with_variant(Integer(), "sqlite")
    )
    id: uuid.UUID = Field(default_factory=uuid.uuid4, unique=True)
    occurred_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    actor: str = Field(sa_type=String(200), index=True)
    action: str = Field(sa_type=String(100), index=True)
    entity_type: str | None = Field(default=None, sa_type=String(50))
    entity_id: uuid.UUID | None = Field(default=None)
    changes: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    request_id: str | None = Field(default=None, sa_type=String(64))
    client_ip: str | None = Field(default=None, sa_type=String(64))
