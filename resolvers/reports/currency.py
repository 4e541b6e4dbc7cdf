"""Amounts in the reporting currency: each currency's latest rate on or before the as-of date.

The rates are a derived table of one row per currency, LEFT JOINed to the deals by currency, so
conversion costs one hash join whatever the number of deals. A deal whose currency has no rate
converts to NULL: it is left out of money sums (SUM ignores NULL) and its currency is listed in
the report's `missingRates`.
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

from resolvers.reports.scope import deals, exchange_rates

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
    """Expressions converting the deals' amounts, over a query joined to ``rates``."""

    currency: str
    rates: Subquery

    @classmethod
    def to(cls, currency: str, as_of: date) -> Conversion:
        return cls(currency, rates_table(currency, as_of))

    def join_condition(self) -> ColumnElement[bool]:
        return self.rates.c.currency == deals.c.currency

    def amount(self, amount: Any = None) -> ColumnElement[Decimal]:
        """The deal's amount (or ``amount``) in the reporting currency; NULL without a rate."""
        amount = deals.c.amount if amount is None else amount
        converted = case(
            (deals.c.currency == self.currency, amount), else_=amount * self.rates.c.rate
        )
        return type_coerce(converted, Numeric())

    def lacks_rate(self) -> ColumnElement[bool]:
        return and_(deals.c.currency != self.currency, self.rates.c.rate.is_(None))

    def unconverted_count(self, condition: ColumnElement[bool] | None = None) -> Any:
        """How many deals (meeting ``condition``) have no rate: 0 means nothing was left out."""
        lacking = self.lacks_rate() if condition is None else and_(condition, self.lacks_rate())
        return func.count(case((lacking, 1)))

    async def missing_currencies(
        self,
        session: AsyncSession,
        conditions: Sequence[ColumnElement[bool]],
        joined: FromClause = deals,
    ) -> list[str]:
        """The currencies without a rate among the deals (``joined`` to what ``conditions``
        need) meeting ``conditions``."""
        statement = (
            select(deals.c.currency)
            .distinct()
            .select_from(joined.outerjoin(self.rates, self.join_condition()))
            .where(*conditions, self.lacks_rate())
            .order_by(deals.c.currency)
        )
        return list((await session.scalars(statement)).all())


def money(value: Any) -> Decimal:
    """A sum from the database as a Decimal in cents (SQLite sums in floating point)."""
    if value is None:
        return Decimal("0.00")
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)
