"""Inputs of the customer mutations. An update input has the create input's fields, all
optional: only the fields given are changed."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import strawberry

from schema.customers.interactions import InteractionKind
from schema.customers.purchases import PurchaseKind, PurchaseStatus
from schema.customers.types import CreditStatus, LifecycleStage
from schema.inputs import UNSET


@strawberry.input(description="A new customer.")
class CreateCustomerInput:
    name: str
    domain: str | None = UNSET
    industry: str | None = UNSET
    employees: int | None = UNSET
    lifecycle_stage: LifecycleStage | None = UNSET
    credit_status: CreditStatus | None = UNSET
    tier: str | None = strawberry.field(
        default=UNSET, description="Service tier, e.g. gold: selects the SLA policy of that tier."
    )
    owner_id: strawberry.ID | None = UNSET
    phone: str | None = UNSET
    street: str | None = UNSET
    city: str | None = UNSET
    postal_code: str | None = UNSET
    country: str | None = strawberry.field(default=UNSET, description="ISO 3166-1 alpha-2.")
    tags: list[str] | None = UNSET
    external_id: str | None = UNSET


@strawberry.input(description="Changes to a Customer.")
class UpdateCustomerInput:
    name: str | None = UNSET
    domain: str | None = UNSET
    industry: str | None = UNSET
    employees: int | None = UNSET
    lifecycle_stage: LifecycleStage | None = UNSET
    credit_status: CreditStatus | None = UNSET
    tier: str | None = UNSET
    owner_id: strawberry.ID | None = UNSET
    phone: str | None = UNSET
    street: str | None = UNSET
    city: str | None = UNSET
    postal_code: str | None = UNSET
    country: str | None = UNSET
    tags: list[str] | None = UNSET
    external_id: str | None = UNSET


@strawberry.input(description="A new contact.")
class CreateContactInput:
    customer_id: strawberry.ID | None = UNSET
    first_name: str | None = UNSET
    last_name: str | None = UNSET
    email: str | None = UNSET
    phone: str | None = UNSET
    title: str | None = UNSET
    owner_id: strawberry.ID | None = UNSET
    marketing_opt_in: bool | None = UNSET
    opt_in_source: str | None = UNSET
    external_id: str | None = UNSET


@strawberry.input(description="Changes to a Contact.")
class UpdateContactInput:
    customer_id: strawberry.ID | None = UNSET
    first_name: str | None = UNSET
    last_name: str | None = UNSET
    email: str | None = UNSET
    phone: str | None = UNSET
    title: str | None = UNSET
    owner_id: strawberry.ID | None = UNSET
    marketing_opt_in: bool | None = UNSET
    opt_in_source: str | None = UNSET
    external_id: str | None = UNSET


@strawberry.input(description="A new interaction; it concerns a customer, a contact or both.")
class CreateInteractionInput:
    kind: InteractionKind
    occurred_at: datetime
    subject: str
    summary: str | None = UNSET
    customer_id: strawberry.ID | None = UNSET
    contact_id: strawberry.ID | None = UNSET
    user_id: strawberry.ID | None = UNSET
    campaign_id: strawberry.ID | None = strawberry.field(
        default=UNSET, description="The campaign this touch belongs to (attribution)."
    )


@strawberry.input(description="Changes to a Interaction.")
class UpdateInteractionInput:
    kind: InteractionKind | None = UNSET
    occurred_at: datetime | None = UNSET
    subject: str | None = UNSET
    summary: str | None = UNSET
    customer_id: strawberry.ID | None = UNSET
    contact_id: strawberry.ID | None = UNSET
    user_id: strawberry.ID | None = UNSET
    campaign_id: strawberry.ID | None = UNSET


@strawberry.input(description="One line of a purchase.")
class PurchaseLineInput:
    description: str
    quantity: Decimal
    unit_price: Decimal
    sku: str | None = UNSET


@strawberry.input(description="A new order or invoice; its total is the sum of its lines.")
class CreatePurchaseInput:
    customer_id: strawberry.ID
    number: str
    currency: str
    ordered_at: datetime
    kind: PurchaseKind | None = UNSET
    status: PurchaseStatus | None = UNSET
    lines: list[PurchaseLineInput] | None = UNSET
    deal_id: strawberry.ID | None = strawberry.field(
        default=UNSET, description="The won deal this order fulfils."
    )
    external_id: str | None = UNSET


@strawberry.input(description="Changes to a Purchase.")
class UpdatePurchaseInput:
    customer_id: strawberry.ID | None = UNSET
    number: str | None = UNSET
    currency: str | None = UNSET
    ordered_at: datetime | None = UNSET
    kind: PurchaseKind | None = UNSET
    status: PurchaseStatus | None = UNSET
    lines: list[PurchaseLineInput] | None = UNSET
    deal_id: strawberry.ID | None = UNSET
    external_id: str | None = UNSET
