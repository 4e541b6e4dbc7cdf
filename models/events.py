"""The outbox: domain events written in the same transaction as the change they describe."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, Integer, String
from sqlmodel import Field, SQLModel

from models.base import UTCDateTime, utcnow


class Event(SQLModel, table=True):
    __tablename__ = "events"
    __table_args__ = (Index("ix_events_entity", "entity_type", "entity_id", "sequence"),)

    # Monotonic position in the outbox: the order deliveries and subscriptions follow.
    position: int | None = Field(
        default=None, primary_key=True, sa_type=BigInteger().with_variant(Integer(), "sqlite")
    )
    # The stable event id receivers de-duplicate on (the webhook-id).
    id: uuid.UUID = Field(default_factory=uuid.uuid4, unique=True)
    type: str = Field(sa_type=String(100), index=True)
    entity_type: str = Field(sa_type=String(50))
    entity_id: uuid.UUID
    # The record's version after the change: receivers drop events older than what they hold.
    sequence: int
    payload: dict[str, Any] = Field(sa_type=JSON)
    actor: str | None = Field(default=None, sa_type=String(200))
    request_id: str | None = Field(default=None, sa_type=String(64))
    # The connection whose inbound record caused the change, if any.
    source_connection_id: uuid.UUID | None = Field(default=None)
    # How many automation rule runs led to this event (0: a person or a system did it); rules
    # do not react past a limit, which stops loops.
    automation_depth: int = Field(default=0)
    occurred_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
