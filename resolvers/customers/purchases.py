"""Purchases (orders, invoices) with their lines; the total is the sum of the lines."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AwareDatetime, Field
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.crud import Change, EntityRules
from kernel.errors import ErrorCode, ServiceError
from kernel.inputs import Currency, ExternalId, InputModel, Money, Name, ShortText, partial
from kernel.principal import Principal
from kernel.tables import table_of
from models import (
    Customer,
    Deal,
    Purchase,
    PurchaseKind,
    PurchaseLine,
    PurchaseStatus,
    Stage,
    StageKind,
)

CENT = Decimal("0.01")


class PurchaseLineInput(InputModel):
    description: Name
    sku: ShortText | None = None
    quantity: Annotated[Decimal, Field(gt=0, max_digits=18, decimal_places=4)]
    unit_price: Money


class PurchaseCreate(InputModel):
    customer_id: uuid.UUID
    number: Annotated[str, Field(min_length=1, max_length=64)]
    kind: PurchaseKind = PurchaseKind.ORDER
    status: PurchaseStatus = PurchaseStatus.DRAFT
    currency: Currency
    ordered_at: AwareDatetime
    lines: Annotated[list[PurchaseLineInput], Field(max_length=1000)] = []
    deal_id: uuid.UUID | None = None
    external_id: ExternalId | None = None


def line_amount(line: PurchaseLineInput) -> Decimal:
    return (line.quantity * line.unit_price).quantize(CENT)


async def _check_purchase(
    session: AsyncSession, principal: Principal, change: Change[Purchase]
) -> None:
    """Lines make the total; an order links only to a won deal of the same customer."""
    values = change.values
    if (deal_id := values.get("deal_id")) is not None:
        deals, stages = table_of(Deal), table_of(Stage)
        found = (
            await session.execute(
                select(deals.c.customer_id, stages.c.kind)
                .join(stages, stages.c.id == deals.c.stage_id)
                .where(deals.c.id == deal_id)
            )
        ).one()  # the reference check has found the deal
        if found.kind != StageKind.WON:
            raise ServiceError.single(ErrorCode.INVALID_STATE, "the deal is not won", "deal_id")
        if found.customer_id != change.get("customer_id"):
            raise ServiceError.single(
                ErrorCode.INVALID_REFERENCE, "the deal is with another customer", "deal_id"
            )
    if "lines" in values:
        values["total_amount"] = sum((line_amount(line) for line in values["lines"]), CENT * 0)


async def _write_lines(
    session: AsyncSession, principal: Principal, change: Change[Purchase]
) -> None:
    if "lines" not in change.values:
        return
    purchase_id = change.row.id
    lines = table_of(PurchaseLine)
    await session.execute(delete(lines).where(lines.c.purchase_id == purchase_id))
    session.add_all(
        PurchaseLine(
            purchase_id=purchase_id,
            position=position,
            description=line.description,
            sku=line.sku,
            quantity=line.quantity,
            unit_price=line.unit_price,
            amount=line_amount(line),
        )
        for position, line in enumerate(change.values["lines"])
    )
    await session.flush()


async def _current_lines(session: AsyncSession, row: Purchase) -> dict[str, Any]:
    lines = table_of(PurchaseLine)
    stored = await session.execute(
        select(lines.c.description, lines.c.sku, lines.c.quantity, lines.c.unit_price)
        .where(lines.c.purchase_id == row.id)
        .order_by(lines.c.position)
    )
    return {"lines": [PurchaseLineInput.model_validate(line._asdict()) for line in stored]}


PURCHASE_RULES = EntityRules(
    model=Purchase,
    entity="purchase",
    create_input=PurchaseCreate,
    update_input=partial(PurchaseCreate, "PurchaseUpdate"),
    references={"customer_id": Customer, "deal_id": Deal},
    unique=("external_id", "number"),
    before_write=_check_purchase,
    after_write=_write_lines,
    current_extras=_current_lines,
)
