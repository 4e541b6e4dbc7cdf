"""The product catalogue and each product's list price per currency."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Annotated, Any

from pydantic import Field, ValidationError
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.audit import record_audit
from kernel.crud import Change, EntityRules, update_entity, validation_errors
from kernel.errors import ErrorCode, ServiceError
from kernel.inputs import Currency, InputModel, Money, Name
from kernel.principal import Principal
from kernel.tables import json_value, table_of
from models import Product, ProductPrice
from resolvers.deals.fields import Description, NotNull, Sku
from resolvers.deals.lookup import row_for_argument

prices = table_of(ProductPrice)


class Price(InputModel):
    currency: Currency
    unit_price: Money


Prices = Annotated[list[Price], Field(max_length=200)]


class ProductCreate(InputModel):
    name: Name
    sku: Sku
    description: Description | None = None
    active: bool = True
    prices: Prices = []


class ProductUpdate(InputModel):
    name: Annotated[Name | None, NotNull] = None
    sku: Annotated[Sku | None, NotNull] = None
    description: Description | None = None
    active: Annotated[bool | None, NotNull] = None
    prices: Annotated[Prices | None, NotNull] = None


async def price_list(session: AsyncSession, product_id: uuid.UUID) -> dict[str, Decimal]:
    rows = await session.execute(
        select(prices.c.currency, prices.c.unit_price).where(prices.c.product_id == product_id)
    )
    return dict(rows.all())


async def _check_prices(
    session: AsyncSession, principal: Principal, change: Change[Product]
) -> None:
    currencies = [price.currency for price in change.values.get("prices", [])]
    if len(set(currencies)) != len(currencies):
        raise ServiceError.single(ErrorCode.VALIDATION, "one price per currency", "prices")


async def _write_prices(
    session: AsyncSession, principal: Principal, change: Change[Product]
) -> None:
    """Bring the price rows to the given list, keeping the rows of unchanged currencies."""
    if "prices" not in change.values:
        return
    row = change.row
    old = {} if change.created else await price_list(session, row.id)
    new = {price.currency: price.unit_price for price in change.values["prices"]}
    if old == new:
        return
    await session.execute(
        delete(prices).where(prices.c.product_id == row.id, prices.c.currency.not_in(new))
    )
    for currency, unit_price in new.items():
        existing = await session.scalar(
            select(ProductPrice).where(prices.c.product_id == row.id, prices.c.currency == currency)
        )
        if existing is None:
            session.add(ProductPrice(product_id=row.id, currency=currency, unit_price=unit_price))
        else:
            existing.unit_price = unit_price
    await session.flush()
    changed = {
        currency: {"old": json_value(old.get(currency)), "new": json_value(new.get(currency))}
        for currency in sorted(old.keys() | new.keys())
        if old.get(currency) != new.get(currency)
    }
    record_audit(session, principal, "product.prices_changed", "product", row.id, changed)


PRODUCT_RULES = EntityRules(
    model=Product,
    entity="product",
    create_input=ProductCreate,
    update_input=ProductUpdate,
    unique=("sku",),
    before_write=_check_prices,
    after_write=_write_prices,
)


async def set_product_price(
    session: AsyncSession, principal: Principal, product_id: uuid.UUID, data: dict[str, Any]
) -> Product:
    """Set the product's list price in one currency (``currency``, ``unit_price``)."""
    try:
        price = Price.model_validate(data)
    except ValidationError as exc:
        raise ServiceError(validation_errors(exc)) from exc
    product = await row_for_argument(session, principal, PRODUCT_RULES, product_id, "product_id")
    current = await price_list(session, product.id)
    if current.get(price.currency) == price.unit_price:
        return product
    current[price.currency] = price.unit_price
    return await _write_price_list(session, principal, product, current)


async def remove_product_price(
    session: AsyncSession, principal: Principal, product_id: uuid.UUID, currency: str
) -> Product:
    """Remove the product's list price in one currency."""
    product = await row_for_argument(session, principal, PRODUCT_RULES, product_id, "product_id")
    current = await price_list(session, product.id)
    if current.pop(currency, None) is None:
        raise ServiceError.single(
            ErrorCode.NOT_FOUND, f"the product has no price in {currency}", "currency"
        )
    return await _write_price_list(session, principal, product, current)


async def _write_price_list(
    session: AsyncSession, principal: Principal, product: Product, price_map: dict[str, Decimal]
) -> Product:
    listed = [{"currency": currency, "unit_price": price} for currency, price in price_map.items()]
    return await update_entity(session, principal, PRODUCT_RULES, product.id, {"prices": listed})
