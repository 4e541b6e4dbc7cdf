"""Service desk test set-up: calendars, policies and tickets written through the services at
fixed instants of the desk's clock."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kernel.crud import create_entity, update_entity
from kernel.principal import SYSTEM, Principal, PrincipalKind
from kernel.tables import table_of
from kernel.unit_of_work import unit_of_work
from models import Event, SlaBreach
from resolvers.tickets import clock
from resolvers.tickets.calendars import CALENDAR_RULES
from resolvers.tickets.policies import POLICY_RULES
from resolvers.tickets.service import TICKET_COMMENT_RULES, TICKET_RULES

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
WEEKDAYS_9_TO_5 = [{"weekday": day, "start": "09:00", "end": "17:00"} for day in range(5)]


def berlin(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A Berlin wall-clock time as an aware datetime."""
    return datetime(year, month, day, hour, minute, tzinfo=BERLIN)


def staff(user: Any) -> Principal:
    """The principal of a signed-in support agent."""
    return Principal(subject=user.email, kind=PrincipalKind.USER, role="support", user_id=user.id)


class Desk:
    """Writes through the services, each call at an instant of the desk's clock."""

    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self.session_factory = session_factory

    async def _run(self, at: datetime | None, action: Any) -> Any:
        with clock.fixed_at(at or clock.now()):
            async with unit_of_work(self.session_factory) as session:
                return await action(session)

    async def calendar(self, **values: Any) -> Any:
        data: dict[str, Any] = {"name": "Berlin office", "time_zone": "Europe/Berlin"}
        data |= {"working_hours": WEEKDAYS_9_TO_5, **values}
        return await self._run(None, lambda s: create_entity(s, SYSTEM, CALENDAR_RULES, data))

    async def policy(self, targets: list[dict[str, Any]], **values: Any) -> Any:
        data = {"name": f"Policy {values.get('customer_tier') or 'default'}", **values}
        data["targets"] = targets
        return await self._run(None, lambda s: create_entity(s, SYSTEM, POLICY_RULES, data))

    async def ticket(
        self, at: datetime | None = None, principal: Principal = SYSTEM, **values: Any
    ) -> Any:
        data = {"subject": "Printer on fire", **values}
        return await self._run(at, lambda s: create_entity(s, principal, TICKET_RULES, data))

    async def update(
        self,
        ticket_id: Any,
        at: datetime | None = None,
        principal: Principal = SYSTEM,
        **values: Any,
    ) -> Any:
        return await self._run(
            at, lambda s: update_entity(s, principal, TICKET_RULES, ticket_id, values)
        )

    async def comment(
        self, ticket_id: Any, principal: Principal, at: datetime | None = None, **values: Any
    ) -> Any:
        data = {"ticket_id": ticket_id, "body": "We are on it", **values}
        return await self._run(
            at, lambda s: create_entity(s, principal, TICKET_COMMENT_RULES, data)
        )

    async def breaches(self, ticket_id: Any) -> list[Any]:
        table = table_of(SlaBreach)
        async with self.session_factory() as session:
            statement = select(table).where(table.c.ticket_id == ticket_id).order_by(table.c.kind)
            return list((await session.execute(statement)).all())

    async def events(self, event_type: str, ticket_id: Any) -> list[Any]:
        table = table_of(Event)
        async with self.session_factory() as session:
            statement = select(table).where(
                table.c.type == event_type, table.c.entity_id == ticket_id
            )
            return list((await session.execute(statement)).all())
