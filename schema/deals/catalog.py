"""Lost reasons, the product catalogue with its prices, deal line items and exchange rates."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import strawberry

from resolvers.graph import PRICES_BY_PRODUCT
from schema.connections import connection_field, list_field, order_input, to_one
from schema.filters import BooleanFilter, DateFilter, DateTimeFilter, IDFilter, StringFilter
from schema.node import Node

LostReasonOrder = order_input("lost_reason", "LostReason")
ProductOrder = order_input("product", "Product")
ProductPriceOrder = order_input("product_price", "ProductPrice")
DealLineItemOrder = order_input("deal_line_item", "DealLineItem")
ExchangeRateOrder = order_input("exchange_rate", "ExchangeRate")


@strawberry.input(description="Conditions on lost reasons.")
class LostReasonFilter:
    id: IDFilter | None = strawberry.UNSET
    name: StringFilter | None = strawberry.UNSET
    active: BooleanFilter | None = strawberry.UNSET


@strawberry.input(description="Conditions on products.")
class ProductFilter:
    id: IDFilter | None = strawberry.UNSET
    name: StringFilter | None = strawberry.UNSET
    sku: StringFilter | None = strawberry.UNSET
    active: BooleanFilter | None = strawberry.UNSET
    created_at: DateTimeFilter | None = strawberry.UNSET
    updated_at: DateTimeFilter | None = strawberry.UNSET
    deleted_at: DateTimeFilter | None = strawberry.UNSET
    and_: list[ProductFilter] | None = strawberry.field(name="and", default=strawberry.UNSET)
    or_: list[ProductFilter] | None = strawberry.field(name="or", default=strawberry.UNSET)
    not_: ProductFilter | None = strawberry.field(name="not", default=strawberry.UNSET)


@strawberry.input(description="Conditions on product prices.")
class ProductPriceFilter:
    currency: StringFilter | None = strawberry.UNSET


@strawberry.input(description="Conditions on deal line items.")
class DealLineItemFilter:
    product_id: IDFilter | None = strawberry.UNSET


@strawberry.input(description="Conditions on exchange rates.")
class ExchangeRateFilter:
    currency: StringFilter | None = strawberry.UNSET
    to_currency: StringFilter | None = strawberry.UNSET
    rate_date: DateFilter | None = strawberry.UNSET


@strawberry.type(description="Why a deal was lost, from a managed list.")
class LostReason(Node):
    name: str
    position: int = strawberry.field(description="Order in pickers, from 0.")
    active: bool = strawberry.field(description="Inactive reasons are kept but not offered.")
    version: int


@strawberry.type(description="A product's list price in one currency.")
class ProductPrice(Node):
    currency: str = strawberry.field(description="ISO 4217 code.")
    unit_price: Decimal


@strawberry.type(description="An item of the catalogue that deals are made of.")
class Product(Node):
    name: str
    sku: str = strawberry.field(description="Stock keeping unit, unique.")
    description: str | None
    active: bool = strawberry.field(description="Inactive products cannot be added to deals.")
    version: int
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None

    prices = connection_field(
        PRICES_BY_PRODUCT,
        ProductPrice,
        ProductPriceFilter,
        ProductPriceOrder,
        "currency",
        "List prices, one per currency.",
    )


@strawberry.type(description="A product on a deal.")
class DealLineItem(Node):
    position: int
    quantity: Decimal
    unit_price: Decimal = strawberry.field(description="In the deal's currency.")
    discount_percent: Decimal
    amount: Decimal = strawberry.field(
        description="Quantity x unit price x (1 - discount / 100), rounded to cents."
    )
    product_id: strawberry.Private[Any]

    product = to_one(Product, "product_id", "product", "The product.")


@strawberry.type(description="1 `currency` is worth `rate` `toCurrency` from `rateDate` on.")
class ExchangeRate(Node):
    currency: str
    to_currency: str
    rate_date: date
    rate: Decimal
    source: str | None = strawberry.field(description="Who set it: a user, a client, an ERP.")
    version: int
    updated_at: datetime


LOST_REASONS = list_field(
    "lost_reason",
    LostReason,
    LostReasonFilter,
    LostReasonOrder,
    "position",
    "Reasons deals are lost, in picker order.",
)
PRODUCTS = list_field(
    "product",
    Product,
    ProductFilter,
    ProductOrder,
    "name",
    "The product catalogue. `search` matches name and SKU.",
    True,
)
EXCHANGE_RATES = list_field(
    "exchange_rate",
    ExchangeRate,
    ExchangeRateFilter,
    ExchangeRateOrder,
    "rate_date",
    "Dated exchange rates reports convert amounts with.",
)
