"""Marketing campaigns and the contacts they target."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import CheckConstraint, String, UniqueConstraint
from sqlmodel import Field

from models.base import MONEY, Entity, SoftDeletable, UTCDateTime, currency_check, enum_check


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
    RESPONDED = "responded"
    CONVERTED = "converted"


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
    actual_cost: Decimal = Field(default=Decimal(0), sa_type=MONEY)
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
    responded_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
