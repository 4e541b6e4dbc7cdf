"""Dated exchange rates that reports convert amounts with."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from pydantic import Field, ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.crud import (
    Change,
    EntityRules,
    create_entity,
    update_entity,
    validation_errors,
)
from kernel.errors import ErrorCode, ServiceError
from kernel.inputs import Currency, InputModel
from kernel.principal import Principal
from kernel.tables import table_of
from models import ExchangeRate

rates = table_of(ExchangeRate)

Rate = Annotated[Decimal, Field(gt=0, max_digits=20, decimal_places=10)]


class ExchangeRateSet(InputModel):
    currency: Currency
    to_currency: Currency
    rate_date: date
    rate: Rate


class ExchangeRateUpdate(InputModel):
    rate: Rate


async def _stamp_source(
    session: AsyncSession, principal: Principal, change: Change[ExchangeRate]
) -> None:
    change.values["source"] = principal.actor


EXCHANGE_RATE_RULES = EntityRules(
    model=ExchangeRate,
    entity="exchange_rate",
    create_input=ExchangeRateSet,
    update_input=ExchangeRateUpdate,
    unique=(("currency", "to_currency", "rate_date"),),
    before_write=_stamp_source,
)


async def set_exchange_rate(
    session: AsyncSession, principal: Principal, data: dict[str, Any]
) -> ExchangeRate:
    """Create or replace the rate of a currency pair on a date; its source is the actor."""
    try:
        parsed = ExchangeRateSet.model_validate(data)
    except ValidationError as exc:
        raise ServiceError(validation_errors(exc)) from exc
    if parsed.currency == parsed.to_currency:
        raise ServiceError.single(
            ErrorCode.VALIDATION, "a rate converts between two currencies", "to_currency"
        )
    existing = await session.scalar(
        select(rates.c.id).where(
            rates.c.currency == parsed.currency,
            rates.c.to_currency == parsed.to_currency,
            rates.c.rate_date == parsed.rate_date,
        )
    )
    if existing is None:
        return await create_entity(session, principal, EXCHANGE_RATE_RULES, data)
    return await update_entity(
        session, principal, EXCHANGE_RATE_RULES, existing, {"rate": parsed.rate}
    )
