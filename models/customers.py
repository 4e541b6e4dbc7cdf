"""Customers (companies, accounts), their contacts, interactions with them, and their purchases."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import JSON, CheckConstraint, Numeric, String, UniqueConstraint
from sqlmodel import Field

from models.base import (
    MONEY,
    Entity,
    SoftDeletable,
    UTCDateTime,
    currency_check,
    empty_list,
    enum_check,
)
from models.encryption import EncryptedText, phone_hash_default


class LifecycleStage(StrEnum):
    LEAD = "lead"
    PROSPECT = "prospect"
    CUSTOMER = "customer"
    CHURNED = "churned"


class CreditStatus(StrEnum):
    """Whether the ERP lets the customer order on credit."""

    GOOD = "good"
    HOLD = "hold"
    BLOCKED = "blocked"


class Customer(Entity, SoftDeletable, table=True):
    __tablename__ = "customers"
    __table_args__ = (
        enum_check("lifecycle_stage", LifecycleStage, "ck_customers_lifecycle_stage"),
        enum_check("credit_status", CreditStatus, "ck_customers_credit_status"),
        CheckConstraint("employees IS NULL OR employees >= 0", name="ck_customers_employees"),
        CheckConstraint("length(name) > 0", name="ck_customers_name_not_empty"),
        UniqueConstraint("external_id", name="uq_customers_external_id"),
    )

    name: str = Field(sa_type=String(200), index=True)
    domain: str | None = Field(default=None, sa_type=String(253), index=True)
    industry: str | None = Field(default=None, sa_type=String(100), index=True)
    employees: int | None = Field(default=None, index=True)
    lifecycle_stage: LifecycleStage = Field(
        default=LifecycleStage.LEAD, sa_type=String(32), index=True
    )
    owner_id: uuid.UUID | None = Field(default=None, foreign_key="users.id", index=True)
    phone: str | None = Field(default=None, sa_type=String(50), index=True)
    street: str | None = Field(default=None, sa_type=String(200))
    city: str | None = Field(default=None, sa_type=String(100), index=True)
    postal_code: str | None = Field(default=None, sa_type=String(20))
    country: str | None = Field(default=None, sa_type=String(2), index=True)
    tags: list[str] = Field(default_factory=empty_list, sa_type=JSON)
    credit_status: CreditStatus | None = Field(default=None, sa_type=String(32), index=True)
    # Service tier (e.g. gold): selects the SLA policy of that tier.
    tier: str | None = Field(default=None, sa_type=String(50), index=True)
    external_id: str | None = Field(default=None, sa_type=String(200))


class Contact(Entity, SoftDeletable, table=True):
    __tablename__ = "contacts"
    __table_args__ = (
        CheckConstraint(
            "length(first_name) + length(last_name) > 0", name="ck_contacts_name_not_empty"
        ),
        UniqueConstraint("external_id", name="uq_contacts_external_id"),
    )

    customer_id: uuid.UUID | None = Field(default=None, foreign_key="customers.id", index=True)
    first_name: str = Field(default="", sa_type=String(100), index=True)
    last_name: str = Field(default="", sa_type=String(100), index=True)
    email: str | None = Field(default=None, sa_type=String(320), index=True)
    # Encrypted at rest; looked up by `phone_hash` (a keyed hash of the normalized number).
    phone: str | None = Field(default=None, sa_type=EncryptedText)
    phone_hash: str | None = Field(
        default=None,
        sa_type=String(64),
        index=True,
        sa_column_kwargs={"default": phone_hash_default},
    )
    title: str | None = Field(default=None, sa_type=String(200))
    owner_id: uuid.UUID | None = Field(default=None, foreign_key="users.id", index=True)
    marketing_opt_in: bool = Field(default=False, index=True)
    opt_in_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    opt_in_source: str | None = Field(default=None, sa_type=String(100))
    external_id: str | None = Field(default=None, sa_type=String(200))
    # Set when the person's data was erased (GDPR): the row stays for business aggregates.
    erased_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class InteractionKind(StrEnum):
    CALL = "call"
    EMAIL = "email"
    MEETING = "meeting"
    NOTE = "note"


class Interaction(Entity, SoftDeletable, table=True):
    __tablename__ = "interactions"
    __table_args__ = (
        enum_check("kind", InteractionKind, "ck_interactions_kind"),
        CheckConstraint(
            "customer_id IS NOT NULL OR contact_id IS NOT NULL",
            name="ck_interactions_has_subject",
        ),
    )

    kind: InteractionKind = Field(sa_type=String(32), index=True)
    occurred_at: datetime = Field(sa_type=UTCDateTime, index=True)
    subject: str = Field(sa_type=String(300))
    # Personal notes: encrypted at rest.
    summary: str | None = Field(default=None, sa_type=EncryptedText)
    customer_id: uuid.UUID | None = Field(default=None, foreign_key="customers.id", index=True)
    contact_id: uuid.UUID | None = Field(default=None, foreign_key="contacts.id", index=True)
    user_id: uuid.UUID | None = Field(default=None, foreign_key="users.id", index=True)
    # The campaign this touch belongs to (a webinar visit, a reply to a mailing): attribution.
    campaign_id: uuid.UUID | None = Field(default=None, foreign_key="campaigns.id", index=True)


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
