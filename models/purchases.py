"""Orders and invoices, usually synced from the ERP."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import CheckConstraint, Numeric, String, UniqueConstraint
from sqlmodel import Field

from models.base import MONEY, Entity, SoftDeletable, UTCDateTime, currency_check, enum_check


class PurchaseKind(StrEnum):
    ORDER = "order"
    INVOICE = "invoice"


class PurchaseStatus(StrEnum):
    DRAFT = "draft"
    CONFIRMED = "confirmed"
    PAID = "paid"
    CANCELLED = "cancelled"


class Purchase(Entity, SoftDeletable, table=True):
    __tablename__ = "purchases"
    __table_args__ = (
        enum_check("kind", PurchaseKind, "ck_purchases_kind"),
        enum_check("status", PurchaseStatus, "ck_purchases_status"),
        currency_check("currency", "ck_purchases_currency"),
        CheckConstraint("total_amount >= 0", name="ck_purchases_total_amount"),
        UniqueConstraint("number", name="uq_purchases_number"),
        UniqueConstraint("external_id", name="uq_purchases_external_id"),
    )

    customer_id: uuid.UUID = Field(foreign_key="customers.id", index=True)
    number: str = Field(sa_type=String(64))
    kind: PurchaseKind = Field(default=PurchaseKind.ORDER, sa_type=String(32), index=True)
    status: PurchaseStatus = Field(default=PurchaseStatus.DRAFT, sa_type=String(32), index=True)
    currency: str = Field(sa_type=String(3), index=True)
    total_amount: Decimal = Field(default=Decimal(0), sa_type=MONEY, index=True)
    ordered_at: datetime = Field(sa_type=UTCDateTime, index=True)
    # The won deal this order fulfils (linked when the ERP confirms it).
    deal_id: uuid.UUID | None = Field(default=None, foreign_key="deals.id", index=True)
    external_id: str | None = Field(default=None, sa_type=String(200))


class PurchaseLine(Entity, table=True):
    __tablename__ = "purchase_lines"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="ck_purchase_lines_quantity"),
        CheckConstraint("unit_price >= 0", name="ck_purchase_lines_unit_price"),
    )

    purchase_id: uuid.UUID = Field(foreign_key="purchases.id", index=True)
    position: int = Field(default=0, index=True)
    description: str = Field(sa_type=String(300))
    sku: str | None = Field(default=None, sa_type=String(64), index=True)
    quantity: Decimal = Field(sa_type=Numeric(18, 4))
    unit_price: Decimal = Field(sa_type=MONEY)
    amount: Decimal = Field(sa_type=MONEY)
