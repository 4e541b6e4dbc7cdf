"""Webhook endpoints, one delivery per (event, endpoint), and every attempt of a delivery."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, BigInteger, CheckConstraint, Index, Integer, String, Text
from sqlmodel import Field, SQLModel

from models.base import Entity, UTCDateTime, empty_list, enum_check, utcnow
from models.encryption import EncryptedText


class EndpointState(StrEnum):
    ENABLED = "enabled"
    DISABLED = "disabled"


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class WebhookEndpoint(Entity, table=True):
    """A receiver: where events go, which ones, and how fast."""

    __tablename__ = "webhook_endpoints"
    __table_args__ = (
        enum_check("state", EndpointState, "ck_webhook_endpoints_state"),
        CheckConstraint(
            "max_concurrency IS NULL OR max_concurrency > 0",
            name="ck_webhook_endpoints_concurrency",
        ),
        CheckConstraint(
            "rate_limit_per_second IS NULL OR rate_limit_per_second > 0",
            name="ck_webhook_endpoints_rate",
        ),
    )

    url: str = Field(sa_type=String(2000))
    description: str | None = Field(default=None, sa_type=String(500))
    event_types: list[str] = Field(default_factory=empty_list, sa_type=JSON)
    # Signing secrets, encrypted at rest.
    secret: str = Field(sa_type=EncryptedText)
    # After a rotation the old secret keeps signing beside the new one until this time.
    previous_secret: str | None = Field(default=None, sa_type=EncryptedText)
    previous_secret_expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    state: EndpointState = Field(default=EndpointState.ENABLED, sa_type=String(32), index=True)
    disabled_reason: str | None = Field(default=None, sa_type=String(200))
    failing_since: datetime | None = Field(default=None, sa_type=UTCDateTime)
    max_concurrency: int | None = Field(default=None)
    rate_limit_per_second: float | None = Field(default=None)
    # At most one delivery in flight per record, in the order of the outbox.
    ordered: bool = Field(default=False)
    created_by: str | None = Field(default=None, sa_type=String(200))
    # The connection this endpoint feeds: changes that came from it are not echoed back.
    connection_id: uuid.UUID | None = Field(default=None, foreign_key="connections.id", index=True)


class WebhookDelivery(SQLModel, table=True):
    """One event for one endpoint; retried until it succeeds or its attempts run out."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        enum_check("status", DeliveryStatus, "ck_webhook_deliveries_status"),
        # The claim: pending and due, oldest first, read in index order up to its limit.
        Index("ix_webhook_deliveries_due", "status", "next_attempt_at", "event_position"),
        Index("ix_webhook_deliveries_endpoint", "endpoint_id", "created_at"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    event_position: int = Field(
        sa_type=BigInteger().with_variant(Integer(), "sqlite"),
        foreign_key="events.position",
        index=True,
    )
    # The event's id: the `webhook-id` of every attempt, so receivers can de-duplicate.
    event_id: uuid.UUID
    endpoint_id: uuid.UUID = Field(foreign_key="webhook_endpoints.id")
    # The record the event is about: ordered endpoints deliver one per record at a time.
    entity_id: uuid.UUID = Field(index=True)
    status: DeliveryStatus = Field(default=DeliveryStatus.PENDING, sa_type=String(32))
    attempts: int = Field(default=0)
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    leased_by: str | None = Field(default=None, sa_type=String(100))
    last_status_code: int | None = Field(default=None)
    last_error: str | None = Field(default=None, sa_type=String(500))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class WebhookAttempt(SQLModel, table=True):
    """One HTTP request of a delivery, and what came back."""

    __tablename__ = "webhook_attempts"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    delivery_id: uuid.UUID = Field(foreign_key="webhook_deliveries.id", index=True)
    number: int
    started_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    duration_ms: int
    status_code: int | None = Field(default=None)
    error: str | None = Field(default=None, sa_type=String(500))
    response_excerpt: str | None = Field(default=None, sa_type=Text)
