"""API clients (OAuth2 client credentials) and the append-only audit log."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, Integer, String
from sqlmodel import Field, SQLModel

from models.base import Entity, UTCDateTime, empty_list, utcnow


class ApiClient(Entity, table=True):
    """A partner system that obtains tokens with its client id and secret."""

    __tablename__ = "api_clients"

    name: str = Field(sa_type=String(200), index=True)
    client_id: str = Field(sa_type=String(64), unique=True)
    # A hash of the secret (the secret itself is shown once, when created or rotated).
    secret_hash: str = Field(sa_type=String(200))
    scopes: list[str] = Field(default_factory=empty_list, sa_type=JSON)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    last_used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_by: str | None = Field(default=None, sa_type=String(200))


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
