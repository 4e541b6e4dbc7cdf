"""Purchases (orders and invoices) with their lines."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import strawberry

from models import PurchaseKind as PurchaseKindModel
from models import PurchaseStatus as PurchaseStatusModel
from resolvers.graph import LINES_BY_PURCHASE
from schema.connections import connection_field, lazy, order_input, to_one
from schema.customers.types import Customer, CustomerFilter
from schema.filters import DateTimeFilter, DecimalFilter, IDFilter, StringFilter, enum_filter
from schema.node import Node

# Deals name their purchases and purchases their deal: the deal side is resolved lazily.
_DEALS = "schema.deals.types"
DealFilterT = lazy("DealFilter", _DEALS)

PurchaseKind = strawberry.enum(PurchaseKindModel, name="PurchaseKind")
PurchaseStatus = strawberry.enum(PurchaseStatusModel, name="PurchaseStatus")
PurchaseKindFilter = enum_filter(PurchaseKindModel, "PurchaseKindFilter")
PurchaseStatusFilter = enum_filter(PurchaseStatusModel, "PurchaseStatusFilter")
PurchaseOrder = order_input("purchase", "Purchase")
PurchaseLineOrder = order_input("purchase_line", "PurchaseLine")


@strawberry.input(description="Conditions on purchases.")
class PurchaseFilter:
    id: IDFilter | None = strawberry.UNSET
    customer_id: IDFilter | None = strawberry.UNSET
    number: StringFilter | None = strawberry.UNSET
    kind: PurchaseKindFilter | None = strawberry.UNSET
    status: PurchaseStatusFilter | None = strawberry.UNSET
    currency: StringFilter | None = strawberry.UNSET
    total_amount: DecimalFilter | None = strawberry.UNSET
    ordered_at: DateTimeFilter | None = strawberry.UNSET
    deal_id: IDFilter | None = strawberry.UNSET
    external_id: StringFilter | None = strawberry.UNSET
    created_at: DateTimeFilter | None = strawberry.UNSET
    deleted_at: DateTimeFilter | None = strawberry.UNSET
    customer: CustomerFilter | None = strawberry.UNSET
    deal: DealFilterT | None = strawberry.UNSET
    and_: list[PurchaseFilter] | None = strawberry.field(name="and", default=strawberry.UNSET)
    or_: list[PurchaseFilter] | None = strawberry.field(name="or", default=strawberry.UNSET)
    not_: PurchaseFilter | None = strawberry.field(name="not", default=strawberry.UNSET)


@strawberry.input(description="Conditions on purchase lines.")
class PurchaseLineFilter:
    sku: StringFilter | None = strawberry.UNSET


@strawberry.type(description="One line of a purchase.")
class PurchaseLine(Node):
    position: int
    description: str
    sku: str | None
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal = strawberry.field(description="Quantity times unit price, in cents.")


@strawberry.type(description="An order or invoice, usually synced from the ERP.")
class Purchase(Node):
    number: str
    kind: PurchaseKind
    status: PurchaseStatus
    currency: str = strawberry.field(description="ISO 4217 code.")
    total_amount: Decimal = strawberry.field(description="Sum of the lines' amounts.")
    ordered_at: datetime
    external_id: str | None
    version: int
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None
    customer_id: strawberry.Private[Any]
    deal_id: strawberry.Private[Any]

    customer = to_one(Customer, "customer_id", "customer", "Who bought.")

    deal = to_one(lazy("Deal", _DEALS), "deal_id", "deal", "The won deal this order fulfils.")

    lines = connection_field(
        LINES_BY_PURCHASE,
        PurchaseLine,
        PurchaseLineFilter,
        PurchaseLineOrder,
        "position",
        "The purchase's lines.",
    )
