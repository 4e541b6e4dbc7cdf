"""A deal's line items: priced from the catalogue, and the source of the deal's amount."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated, Any

from pydantic import Field
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.audit import record_audit
from kernel.crud import Change
from kernel.errors import ErrorCode, ServiceError, UserError
from kernel.inputs import InputModel, Money
from kernel.principal import Principal
from kernel.tables import json_value, table_of
from models import Deal, DealLineItem, Product, ProductPrice

CENT = Decimal("0.01")
line_items = table_of(DealLineItem)
products = table_of(Product)
prices = table_of(ProductPrice)


class LineItemInput(InputModel):
    product_id: uuid.UUID
    quantity: Annotated[Decimal, Field(gt=0, max_digits=18, decimal_places=4)]
    # Unset: the product's list price in the deal's currency.
    unit_price: Money | None = None
    discount_percent: Annotated[Decimal, Field(ge=0, le=100, max_digits=5, decimal_places=2)] = (
        Decimal(0)
    )


LineItems = Annotated[list[LineItemInput], Field(max_length=200)]


def line_amount(quantity: Decimal, unit_price: Decimal, discount_percent: Decimal) -> Decimal:
    """Quantity x unit price x (1 - discount), rounded half up to cents."""
    return (quantity * unit_price * (100 - discount_percent) / 100).quantize(CENT, ROUND_HALF_UP)


async def price_line_items(session: AsyncSession, change: Change[Deal]) -> None:
    """Turn the given items into rows priced in the deal's currency; their sum is the amount."""
    row, values = change.row, change.values
    items: list[LineItemInput] = values["line_items"] or []
    currency = change.get("currency")
    ids = {item.product_id for item in items}
    found = await session.scalars(
        select(Product).where(products.c.id.in_(ids), products.c.deleted_at.is_(None))
    )
    catalogue = {product.id: product for product in found.all()}
    listed = await session.execute(
        select(prices.c.product_id, prices.c.unit_price).where(
            prices.c.product_id.in_(ids), prices.c.currency == currency
        )
    )
    list_prices = dict(listed.all())
    kept = set() if change.created else set(await _product_ids(session, row.id))
    errors: list[UserError] = []
    rows = []
    for index, item in enumerate(items):
        path = ("line_items", str(index))
        product = catalogue.get(item.product_id)
        if product is None:
            errors.append(
                UserError(
                    ErrorCode.INVALID_REFERENCE, "no product with this id", (*path, "product_id")
                )
            )
            continue
        if not product.active and product.id not in kept:
            errors.append(
                UserError(ErrorCode.VALIDATION, "the product is inactive", (*path, "product_id"))
            )
        unit_price = item.unit_price if item.unit_price is not None else list_prices.get(product.id)
        if unit_price is None:
            message = f"{product.name} has no price in {currency}: give a unit price"
            errors.append(UserError(ErrorCode.VALIDATION, message, (*path, "unit_price")))
            continue
        rows.append(
            DealLineItem(
                deal_id=row.id,
                product_id=product.id,
                position=index,
                quantity=item.quantity,
                unit_price=unit_price,
                discount_percent=item.discount_percent,
                amount=line_amount(item.quantity, unit_price, item.discount_percent),
            )
        )
    if errors:
        raise ServiceError(errors)
    values["line_items"] = rows
    if rows:
        total = sum((line.amount for line in rows), Decimal(0))
        if "amount" in values and values["amount"] != total:
            raise ServiceError.single(
                ErrorCode.VALIDATION, "the amount is derived from the line items", "amount"
            )
        values["amount"] = total


async def refuse_changes_derived_from_items(session: AsyncSession, change: Change[Deal]) -> None:
    """While a deal has line items, its amount is theirs and their prices are in its currency."""
    derived = [name for name in ("amount", "currency") if name in change.values]
    if not derived:
        return
    deal_id = change.row.id
    if await session.scalar(select(line_items.c.id).where(line_items.c.deal_id == deal_id)) is None:
        return
    messages = {
        "amount": "the amount is derived from the line items",
        "currency": "the line items are priced in the deal's currency: remove them first",
    }
    raise ServiceError(
        [UserError(ErrorCode.VALIDATION, messages[name], (name,)) for name in derived]
    )


async def write_line_items(
    session: AsyncSession, principal: Principal, change: Change[Deal]
) -> None:
    """Replace the deal's line items with the priced rows, and audit the change."""
    row = change.row
    new: list[DealLineItem] = change.values["line_items"]
    old = (
        await session.execute(
            select(*(line_items.c[name] for name in _AUDITED))
            .where(line_items.c.deal_id == row.id)
            .order_by(line_items.c.position)
        )
    ).all()
    if not old and not new:
        return
    await session.execute(delete(line_items).where(line_items.c.deal_id == row.id))
    session.add_all(new)
    await session.flush()
    audited = {
        "old": [_audited(line._mapping) for line in old],
        "new": [_audited({name: getattr(line, name) for name in _AUDITED}) for line in new],
    }
    record_audit(
        session, principal, "deal.line_items_changed", "deal", row.id, {"line_items": audited}
    )


_AUDITED = ("product_id", "quantity", "unit_price", "discount_percent", "amount")


def _audited(line: Mapping[Any, Any]) -> dict[str, Any]:
    return {name: json_value(line[name]) for name in _AUDITED}


async def _product_ids(session: AsyncSession, deal_id: uuid.UUID) -> list[uuid.UUID]:
    found = await session.scalars(
        select(line_items.c.product_id).where(line_items.c.deal_id == deal_id)
    )
    return list(found.all())
