"""Connections to external systems (ERP, HRM, partners), what they told us, and from where."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Index, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.base import Entity, UTCDateTime, empty_dict, empty_list, utcnow
from models.encryption import EncryptedText


class ConnectionState(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"


class Connection(Entity, table=True):
    """One external system sending or lending us records through a connector."""

    __tablename__ = "connections"

    name: str = Field(sa_type=String(100), unique=True)
    connector: str = Field(sa_type=String(100), index=True)
    description: str | None = Field(default=None, sa_type=String(500))
    state: ConnectionState = Field(default=ConnectionState.ACTIVE, sa_type=String(32))
    # Standard Webhooks secret (`whsec_...`) its inbound batches are signed with; encrypted.
    secret: str = Field(sa_type=EncryptedText)
    previous_secret: str | None = Field(default=None, sa_type=EncryptedText)
    previous_secret_expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Connector settings (role map, fallback owner, pull URL and interval, ...).
    settings: dict[str, Any] = Field(default_factory=empty_dict, sa_type=JSON)
    # {entity: {field: "source" | "crm"}}: "source" fields only this system may change,
    # "crm" fields it may set on create but never overwrite.
    field_ownership: dict[str, dict[str, str]] = Field(default_factory=empty_dict, sa_type=JSON)
    # Deliver events this connection caused back to its own webhook endpoints.
    echo: bool = Field(default=False)
    created_by: str | None = Field(default=None, sa_type=String(200))
    # Status, updated with every batch or pulled page.
    last_received_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_applied_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    applied_count: int = Field(default=0)
    unchanged_count: int = Field(default=0)
    stale_count: int = Field(default=0)
    rejected_count: int = Field(default=0)
    pull_cursor: str | None = Field(default=None, sa_type=String(500))
    last_pulled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error: str | None = Field(default=None, sa_type=String(1000))
    last_error_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ExternalRef(SQLModel, table=True):
    """A CRM record's id in one external system: unique per connection, not globally."""

    __tablename__ = "external_refs"
    __table_args__ = (
        UniqueConstraint(
            "connection_id", "entity_type", "external_id", name="uq_external_refs_source"
        ),
        Index("ix_external_refs_entity", "entity_type", "entity_id"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    connection_id: uuid.UUID = Field(foreign_key="connections.id")
    entity_type: str = Field(sa_type=String(50))
    external_id: str = Field(sa_type=String(200))
    entity_id: uuid.UUID
    # The source's own timestamp of the last applied version: older updates are stale.
    source_updated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class InboundMessage(SQLModel, table=True):
    """A received batch, by the sender's message id: a replay gets the stored answer."""

    __tablename__ = "inbound_messages"
    __table_args__ = (
        UniqueConstraint("connection_id", "message_id", name="uq_inbound_messages_message"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    connection_id: uuid.UUID = Field(foreign_key="connections.id")
    message_id: str = Field(sa_type=String(200))
    received_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    results: list[dict[str, Any]] = Field(default_factory=empty_list, sa_type=JSON)


class IdempotencyKey(SQLModel, table=True):
    """A partner's `Idempotency-Key`: the request it named and, once done, the response."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("actor", "key", name="uq_idempotency_keys_actor_key"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    actor: str = Field(sa_type=String(200))
    key: str = Field(sa_type=String(255))
    # SHA-256 of the request body: the same key with another body is refused.
    request_hash: str = Field(sa_type=String(64))
    # Set when the first execution finished; until then a retry is "in progress".
    status_code: int | None = Field(default=None)
    response: str | None = Field(default=None, sa_type=Text)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime, index=True)
