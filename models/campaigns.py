"""Marketing campaigns and the contacts they target."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, CheckConstraint, Index, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.base import (
    MONEY,
    Entity,
    SoftDeletable,
    UTCDateTime,
    currency_check,
    empty_dict,
    empty_list,
    enum_check,
    utcnow,
)


class CampaignChannel(StrEnum):
    EMAIL = "email"
    EVENT = "event"
    WEBINAR = "webinar"
    ADS = "ads"
    SOCIAL = "social"
    DIRECT_MAIL = "direct_mail"
    OTHER = "other"


class CampaignStatus(StrEnum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"
    ACTIVE = "active"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class MemberStatus(StrEnum):
    TARGETED = "targeted"
    SENT = "sent"
    OPENED = "opened"
    CLICKED = "clicked"
    RESPONDED = "responded"
    CONVERTED = "converted"
    BOUNCED = "bounced"
    UNSUBSCRIBED = "unsubscribed"


class Campaign(Entity, SoftDeletable, table=True):
    __tablename__ = "campaigns"
    __table_args__ = (
        enum_check("channel", CampaignChannel, "ck_campaigns_channel"),
        enum_check("status", CampaignStatus, "ck_campaigns_status"),
        currency_check("currency", "ck_campaigns_currency"),
        CheckConstraint("budget IS NULL OR budget >= 0", name="ck_campaigns_budget"),
        CheckConstraint("actual_cost >= 0", name="ck_campaigns_actual_cost"),
        CheckConstraint(
            "starts_on IS NULL OR ends_on IS NULL OR starts_on <= ends_on",
            name="ck_campaigns_dates",
        ),
    )

    name: str = Field(sa_type=String(200), index=True)
    channel: CampaignChannel = Field(sa_type=String(32), index=True)
    status: CampaignStatus = Field(default=CampaignStatus.DRAFT, sa_type=String(32), index=True)
    currency: str = Field(default="USD", sa_type=String(3))
    budget: Decimal | None = Field(default=None, sa_type=MONEY)
    # The sum of the campaign's cost entries, kept with them.
    actual_cost: Decimal = Field(default=Decimal(0), sa_type=MONEY)
    expected_revenue: Decimal | None = Field(default=None, sa_type=MONEY)
    # Roll-ups: a campaign's figures include its children's.
    parent_id: uuid.UUID | None = Field(default=None, foreign_key="campaigns.id", index=True)
    starts_on: date | None = Field(default=None, index=True)
    ends_on: date | None = Field(default=None, index=True)
    owner_id: uuid.UUID | None = Field(default=None, foreign_key="users.id", index=True)


class CampaignMember(Entity, SoftDeletable, table=True):
    __tablename__ = "campaign_members"
    __table_args__ = (
        enum_check("status", MemberStatus, "ck_campaign_members_status"),
        UniqueConstraint("campaign_id", "contact_id", name="uq_campaign_members_contact"),
    )

    campaign_id: uuid.UUID = Field(foreign_key="campaigns.id", index=True)
    contact_id: uuid.UUID = Field(foreign_key="contacts.id", index=True)
    status: MemberStatus = Field(default=MemberStatus.TARGETED, sa_type=String(32), index=True)
    # When the member first reached each status (kept when the status moves on).
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    opened_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    clicked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    responded_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    converted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    bounced_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    unsubscribed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # The segment the member was added from, if any.
    segment_id: uuid.UUID | None = Field(default=None, foreign_key="segments.id", index=True)


class CampaignCost(Entity, table=True):
    """One cost of a campaign, in the campaign's currency."""

    __tablename__ = "campaign_costs"
    __table_args__ = (CheckConstraint("amount >= 0", name="ck_campaign_costs_amount"),)

    campaign_id: uuid.UUID = Field(foreign_key="campaigns.id", index=True)
    incurred_on: date = Field(index=True)
    amount: Decimal = Field(sa_type=MONEY)
    description: str | None = Field(default=None, sa_type=String(500))


class SegmentKind(StrEnum):
    DYNAMIC = "dynamic"
    STATIC = "static"


class Segment(Entity, SoftDeletable, table=True):
    """A saved filter over contacts or customers, in the API's filter language; dynamic
    (evaluated on read) or static (a snapshot of the members when it was frozen)."""

    __tablename__ = "segments"
    __table_args__ = (
        enum_check("kind", SegmentKind, "ck_segments_kind"),
        CheckConstraint("entity_type IN ('contact', 'customer')", name="ck_segments_entity_type"),
    )

    name: str = Field(sa_type=String(200), unique=True)
    description: str | None = Field(default=None, sa_type=String(1000))
    entity_type: str = Field(sa_type=String(32))
    # The filter input as the GraphQL API takes it (camelCase field names).
    filter: dict[str, Any] = Field(default_factory=empty_dict, sa_type=JSON)
    kind: SegmentKind = Field(default=SegmentKind.DYNAMIC, sa_type=String(32))
    frozen_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    owner_id: uuid.UUID | None = Field(default=None, foreign_key="users.id", index=True)


class SegmentMember(Entity, table=True):
    """A record in a static segment's snapshot."""

    __tablename__ = "segment_members"
    __table_args__ = (
        UniqueConstraint("segment_id", "entity_id", name="uq_segment_members_entity"),
    )

    segment_id: uuid.UUID = Field(foreign_key="segments.id", index=True)
    entity_id: uuid.UUID = Field(index=True)


class AutomationRule(Entity, SoftDeletable, table=True):
    """When an event of `trigger` happens and its record matches `conditions` (the API's filter
    language), do `actions`."""

    __tablename__ = "automation_rules"

    name: str = Field(sa_type=String(200), unique=True)
    description: str | None = Field(default=None, sa_type=String(1000))
    trigger: str = Field(sa_type=String(100), index=True)
    conditions: dict[str, Any] = Field(default_factory=empty_dict, sa_type=JSON)
    # [{"type": "add_to_campaign", ...}, ...]: see resolvers/automation for the action types.
    actions: list[dict[str, Any]] = Field(default_factory=empty_list, sa_type=JSON)
    active: bool = Field(default=True, index=True)
    # Round-robin state of `assign_owner` actions.
    state: dict[str, Any] = Field(default_factory=empty_dict, sa_type=JSON)


class AutomationRunStatus(StrEnum):
    SKIPPED = "skipped"  # the record did not match the conditions
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    STOPPED = "stopped"  # the chain of rule-caused events got too deep


class AutomationRun(Entity, table=True):
    """One rule run for one event: at most one per (rule, event), however often it is retried."""

    __tablename__ = "automation_runs"
    __table_args__ = (
        enum_check("status", AutomationRunStatus, "ck_automation_runs_status"),
        UniqueConstraint("rule_id", "event_id", name="uq_automation_runs_rule_event"),
        Index("ix_automation_runs_rule_created", "rule_id", "created_at"),
    )

    rule_id: uuid.UUID = Field(foreign_key="automation_rules.id")
    event_id: uuid.UUID = Field(index=True)
    event_type: str = Field(sa_type=String(100))
    entity_id: uuid.UUID
    status: AutomationRunStatus = Field(sa_type=String(32), index=True)
    depth: int = Field(default=0)
    actions_done: list[dict[str, Any]] = Field(default_factory=empty_list, sa_type=JSON)
    error: str | None = Field(default=None, sa_type=String(2000))


class StreamCursor(SQLModel, table=True):
    """How far a consumer of the outbox (e.g. the automation engine) has read."""

    __tablename__ = "stream_cursors"

    name: str = Field(sa_type=String(100), primary_key=True)
    position: int = Field(default=0, sa_type=BigInteger)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
