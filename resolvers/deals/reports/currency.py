"""Amounts in the reporting currency: each currency's latest rate on or before the as-of date.

The rates are a derived table of one row per currency. Reports sum amounts per currency, then
join the rates to those sums: conversion costs a join over a few rows whatever the number of
deals. A sum in a currency without a rate converts to NULL: it is left out of money figures
(SUM ignores NULL) and the report lists its currency in `missingRates`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import (
    ColumnElement,
    FromClause,
    Numeric,
    Subquery,
    and_,
    case,
    func,
    select,
    type_coerce,
)
from sqlalchemy.ext.asyncio import AsyncSession

from resolvers.deals.reports.scope import deals, exchange_rates

CENT = Decimal("0.01")


def rates_table(currency: str, as_of: date) -> Subquery:
    """(currency, rate): the latest rate into ``currency`` on or before ``as_of``, per currency."""
    ranked = (
        select(
            exchange_rates.c.currency,
            exchange_rates.c.rate,
            func.row_number()
            .over(
                partition_by=exchange_rates.c.currency, order_by=exchange_rates.c.rate_date.desc()
            )
            .label("n"),
        )
        .where(exchange_rates.c.to_currency == currency, exchange_rates.c.rate_date <= as_of)
        .subquery("ranked_rates")
    )
    return select(ranked.c.currency, ranked.c.rate).where(ranked.c.n == 1).subquery("rates")


@dataclass(frozen=True)
class Conversion:
    """Converts sums kept per currency: a report sums amounts per currency first (no join per
    deal), then joins ``rates`` to those few rows, since the sum of amount x rate over one
    currency is the rate times the sum."""

    currency: str
    rates: Subquery

    @classmethod
    def to(cls, currency: str, as_of: date) -> Conversion:
        return cls(currency, rates_table(currency, as_of))

    def join(self, per_currency: FromClause) -> FromClause:
        """``per_currency`` (with a ``currency`` column) joined to its rate."""
        return per_currency.outerjoin(self.rates, self.rates.c.currency == per_currency.c.currency)

    def amount(self, amount: Any, currency: Any) -> ColumnElement[Decimal]:
        """``amount`` (in ``currency``) in the reporting currency; NULL without a rate."""
        converted = case((currency == self.currency, amount), else_=amount * self.rates.c.rate)
        return type_coerce(converted, Numeric())

    def lacks_rate(self, currency: Any) -> ColumnElement[bool]:
        return and_(currency != self.currency, self.rates.c.rate.is_(None))

    async def missing_currencies(
        self,
        session: AsyncSession,
        conditions: Sequence[ColumnElement[bool]],
        joined: FromClause = deals,
    ) -> list[str]:
        """The currencies without a rate among the deals (``joined`` to what ``conditions``
        need) meeting ``conditions``; run only when a report found some."""
        statement = (
            select(deals.c.currency)
            .distinct()
            .select_from(joined.outerjoin(self.rates, self.rates.c.currency == deals.c.currency))
            .where(*conditions, self.lacks_rate(deals.c.currency))
            .order_by(deals.c.currency)
        )
        return list((await session.scalars(statement)).all())


def money(value: Any) -> Decimal:
    """A sum from the database as a Decimal in cents (SQLite sums in floating point)."""
    if value is None:
        return Decimal("0.00")
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)
