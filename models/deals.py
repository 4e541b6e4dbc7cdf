"""Pipelines, their ordered stages, deals and each deal's stage history."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import CheckConstraint, String, UniqueConstraint
from sqlmodel import Field

from models.base import MONEY, Entity, SoftDeletable, UTCDateTime, currency_check, enum_check


class StageKind(StrEnum):
    OPEN = "open"
    WON = "won"
    LOST = "lost"


class Pipeline(Entity, table=True):
    __tablename__ = "pipelines"

    name: str = Field(sa_type=String(200), unique=True)
    is_default: bool = Field(default=False, index=True)


class Stage(Entity, table=True):
    __tablename__ = "stages"
    __table_args__ = (
        enum_check("kind", StageKind, "ck_stages_kind"),
        CheckConstraint("probability BETWEEN 0 AND 100", name="ck_stages_probability"),
        UniqueConstraint("pipeline_id", "name", name="uq_stages_pipeline_name"),
    )

    pipeline_id: uuid.UUID = Field(foreign_key="pipelines.id", index=True)
    name: str = Field(sa_type=String(100), index=True)
    position: int = Field(index=True)
    probability: int = Field(default=0, index=True)
    kind: StageKind = Field(default=StageKind.OPEN, sa_type=String(32), index=True)


class Deal(Entity, SoftDeletable, table=True):
    __tablename__ = "deals"
    __table_args__ = (
        currency_check("currency", "ck_deals_currency"),
        CheckConstraint("amount >= 0", name="ck_deals_amount"),
        CheckConstraint("length(name) > 0", name="ck_deals_name_not_empty"),
        UniqueConstraint("external_id", name="uq_deals_external_id"),
    )

    name: str = Field(sa_type=String(200), index=True)
    customer_id: uuid.UUID = Field(foreign_key="customers.id", index=True)
    contact_id: uuid.UUID | None = Field(default=None, foreign_key="contacts.id", index=True)
    pipeline_id: uuid.UUID = Field(foreign_key="pipelines.id", index=True)
    stage_id: uuid.UUID = Field(foreign_key="stages.id", index=True)
    owner_id: uuid.UUID | None = Field(default=None, foreign_key="users.id", index=True)
    campaign_id: uuid.UUID | None = Field(default=None, foreign_key="campaigns.id", index=True)
    amount: Decimal = Field(default=Decimal(0), sa_type=MONEY, index=True)
    currency: str = Field(sa_type=String(3), index=True)
    expected_close_date: date | None = Field(default=None, index=True)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    external_id: str | None = Field(default=None, sa_type=String(200))


class DealStageChange(Entity, table=True):
    __tablename__ = "deal_stage_changes"

    deal_id: uuid.UUID = Field(foreign_key="deals.id", index=True)
    from_stage_id: uuid.UUID | None = Field(default=None, foreign_key="stages.id", index=True)
    to_stage_id: uuid.UUID = Field(foreign_key="stages.id", index=True)
    changed_at: datetime = Field(sa_type=UTCDateTime, index=True)
    changed_by_id: uuid.UUID | None = Field(default=None, foreign_key="users.id", index=True)
    amount: Decimal = Field(sa_type=MONEY)
    currency: str = Field(sa_type=String(3))
