"""Durations of the service reports: whole seconds, exact means and medians, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kernel.unit_of_work import unit_of_work
from models import Ticket
from resolvers.tickets.report_scope import TicketReportFilter, TicketScope
from resolvers.tickets.reports import Durations, response_times
from tests.conftest import ADMIN

CREATED = datetime(2026, 5, 4, 9, 0, 0, 900_000, tzinfo=UTC)


async def _first_response_stats(
    session_factory: async_sessionmaker[AsyncSession], seconds: list[float]
) -> Durations:
    async with unit_of_work(session_factory) as session:
        session.add_all(
            Ticket(
                subject=f"T{n}",
                created_at=CREATED,
                first_response_at=CREATED + timedelta(seconds=value),
            )
            for n, value in enumerate(seconds)
        )
    scope = TicketScope(TicketReportFilter(), ADMIN, datetime(2026, 6, 1, tzinfo=UTC))
    async with session_factory() as session:
        [row] = await response_times(session, scope)
    return row.first_response


async def test_fractions_of_a_second_are_dropped_from_each_time(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    # Created at 09:00:00.9; replies at 09:00:10.0 and 09:00:20.95: 10 s and 20 s.
    stats = await _first_response_stats(session_factory, [9.1, 20.05])

    assert stats == Durations(2, Decimal("15.00"), Decimal("15.00"))


async def test_median_of_an_even_count_is_the_mean_of_the_middle_two(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    stats = await _first_response_stats(session_factory, [100, 5, 7, 1])

    assert stats.median == Decimal("6.00")


async def test_mean_is_rounded_half_up_to_a_hundredth(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    # Created at .9, so these are 1, 1 and 2 whole seconds: 4 / 3 s.
    stats = await _first_response_stats(session_factory, [0.1, 1.0, 1.1])

    assert stats == Durations(3, Decimal("1.33"), Decimal("1.00"))
