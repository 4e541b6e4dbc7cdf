"""Pipelines, their ordered stages, deals and each deal's stage history."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import CheckConstraint, Index, Numeric, String, UniqueConstraint
from sqlmodel import Field

from models.base import MONEY, Entity, SoftDeletable, UTCDateTime, currency_check, enum_check


class StageKind(StrEnum):
    OPEN = "open"
    WON = "won"
    LOST = "lost"


class ForecastCategory(StrEnum):
    """Where a stage's deals count in the forecast (Salesforce's categories)."""

    PIPELINE = "pipeline"
    BEST_CASE = "best_case"
    COMMIT = "commit"
    CLOSED = "closed"
    OMITTED = "omitted"


class Pipeline(Entity, table=True):
    __tablename__ = "pipelines"

    name: str = Field(sa_type=String(200), unique=True)
    is_default: bool = Field(default=False, index=True)


class Stage(Entity, table=True):
    __tablename__ = "stages"
    __table_args__ = (
        enum_check("kind", StageKind, "ck_stages_kind"),
        enum_check("forecast_category", ForecastCategory, "ck_stages_forecast_category"),
        CheckConstraint("probability BETWEEN 0 AND 100", name="ck_stages_probability"),
        UniqueConstraint("pipeline_id", "name", name="uq_stages_pipeline_name"),
    )

    pipeline_id: uuid.UUID = Field(foreign_key="pipelines.id", index=True)
    name: str = Field(sa_type=String(100), index=True)
    position: int = Field(index=True)
    probability: int = Field(default=0, index=True)
    kind: StageKind = Field(default=StageKind.OPEN, sa_type=String(32), index=True)
    forecast_category: ForecastCategory = Field(
        default=ForecastCategory.PIPELINE, sa_type=String(32), index=True
    )
    # A retired stage takes no more deals; the history of those that passed through it stays.
    retired_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class LostReason(Entity, table=True):
    """Why deals are lost: a managed list, so win/loss reports can rank them."""

    __tablename__ = "lost_reasons"

    name: str = Field(sa_type=String(200), unique=True)
    position: int = Field(default=0)
    active: bool = Field(default=True)


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
    lost_reason_id: uuid.UUID | None = Field(
        default=None, foreign_key="lost_reasons.id", index=True
    )
    external_id: str | None = Field(default=None, sa_type=String(200))


class DealStageChange(Entity, table=True):
    __tablename__ = "deal_stage_changes"
    __table_args__ = (Index("ix_deal_stage_changes_deal_changed", "deal_id", "changed_at"),)

    deal_id: uuid.UUID = Field(foreign_key="deals.id", index=True)
    from_stage_id: uuid.UUID | None = Field(default=None, foreign_key="stages.id", index=True)
    to_stage_id: uuid.UUID = Field(foreign_key="stages.id", index=True)
    changed_at: datetime = Field(sa_type=UTCDateTime, index=True)
    changed_by_id: uuid.UUID | None = Field(default=None, foreign_key="users.id", index=True)
    amount: Decimal = Field(sa_type=MONEY)
    currency: str = Field(sa_type=String(3))
    # Derived from the deal's history, kept on every change (`derive_stage_history` in
    # `resolvers.deals.service`) so that the all-time funnel needs no window: when the deal left
    # `to_stage_id` (its next change), which entry into that stage this is (1 = first), and the
    # highest position of a non-lost stage of that pipeline entered with this change or later.
    left_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    entry: int = Field(default=1, sa_column_kwargs={"server_default": "1"})
    reached_position: int | None = Field(default=None)


class Product(Entity, SoftDeletable, table=True):
    """An item of the catalogue deals are made of."""

    __tablename__ = "products"
    __table_args__ = (CheckConstraint("length(name) > 0", name="ck_products_name_not_empty"),)

    name: str = Field(sa_type=String(200), index=True)
    sku: str = Field(sa_type=String(64), unique=True)
    description: str | None = Field(default=None, sa_type=String(2000))
    active: bool = Field(default=True, index=True)


class ProductPrice(Entity, table=True):
    """A product's list price in one currency."""

    __tablename__ = "product_prices"
    __table_args__ = (
        currency_check("currency", "ck_product_prices_currency"),
        CheckConstraint("unit_price >= 0", name="ck_product_prices_unit_price"),
        UniqueConstraint("product_id", "currency", name="uq_product_prices_product_currency"),
    )

    product_id: uuid.UUID = Field(foreign_key="products.id", index=True)
    currency: str = Field(sa_type=String(3))
    unit_price: Decimal = Field(sa_type=MONEY)


class DealLineItem(Entity, table=True):
    """A product on a deal; when a deal has line items, its amount is their sum."""

    __tablename__ = "deal_line_items"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="ck_deal_line_items_quantity"),
        CheckConstraint("unit_price >= 0", name="ck_deal_line_items_unit_price"),
        CheckConstraint(
            "discount_percent >= 0 AND discount_percent <= 100",
            name="ck_deal_line_items_discount",
        ),
    )

    deal_id: uuid.UUID = Field(foreign_key="deals.id", index=True)
    product_id: uuid.UUID = Field(foreign_key="products.id", index=True)
    position: int = Field(default=0)
    quantity: Decimal = Field(sa_type=Numeric(18, 4))
    unit_price: Decimal = Field(sa_type=MONEY)
    discount_percent: Decimal = Field(default=Decimal(0), sa_type=Numeric(5, 2))
    # quantity x unit price x (1 - discount), rounded to cents.
    amount: Decimal = Field(sa_type=MONEY)


class ExchangeRate(Entity, table=True):
    """1 `currency` = `rate` units of `to_currency`, from `rate_date` on."""

    __tablename__ = "exchange_rates"
    __table_args__ = (
        currency_check("currency", "ck_exchange_rates_currency"),
        currency_check("to_currency", "ck_exchange_rates_to_currency"),
        CheckConstraint("rate > 0", name="ck_exchange_rates_rate"),
        UniqueConstraint(
            "currency", "to_currency", "rate_date", name="uq_exchange_rates_pair_date"
        ),
    )

    currency: str = Field(sa_type=String(3))
    to_currency: str = Field(sa_type=String(3))
    rate_date: date = Field(index=True)
    rate: Decimal = Field(sa_type=Numeric(20, 10))
    source: str | None = Field(default=None, sa_type=String(200))
