"""Business calendars (service:manage): working hours in an IANA time zone, and holidays."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any

from pydantic import AfterValidator, Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.audit import record_audit
from kernel.crud import EntityRules, get_row
from kernel.errors import ErrorCode, ServiceError
from kernel.inputs import InputModel, Name, partial
from kernel.outbox import record_event
from kernel.principal import Principal
from kernel.tables import row_to_dict, table_of
from models import BusinessCalendar, SlaPolicy
from resolvers.tickets.business_hours import build_calendar, parse_clock, zone_named

policies = table_of(SlaPolicy)


def _clock(value: str) -> str:
    parse_clock(value)
    return value


Clock = Annotated[str, AfterValidator(_clock)]


class WorkingPeriod(InputModel):
    weekday: Annotated[int, Field(ge=0, le=6, description="0 is Monday, 6 Sunday.")]
    start: Clock
    end: Clock


def _hours(periods: list[WorkingPeriod]) -> list[dict[str, Any]]:
    """As stored: plain dicts, by weekday and start; ValueError for overlaps or empty days."""
    hours = sorted((p.model_dump() for p in periods), key=lambda p: (p["weekday"], p["start"]))
    build_calendar("UTC", hours, [])
    return hours


def _holidays(days: list[date]) -> list[str]:
    return sorted({day.isoformat() for day in days})


def _zone(name: str) -> str:
    zone_named(name)
    return name


TimeZone = Annotated[str, Field(max_length=64), AfterValidator(_zone)]
WorkingHours = Annotated[list[WorkingPeriod], Field(max_length=100), AfterValidator(_hours)]
Holidays = Annotated[list[date], Field(max_length=2000), AfterValidator(_holidays)]


class CalendarCreate(InputModel):
    name: Name
    time_zone: TimeZone
    working_hours: WorkingHours
    holidays: Holidays = []


CALENDAR_RULES = EntityRules(
    model=BusinessCalendar,
    entity="business_calendar",
    create_input=CalendarCreate,
    update_input=partial(CalendarCreate, "CalendarUpdate"),
    unique=("name",),
)


async def delete_calendar(
    session: AsyncSession, principal: Principal, calendar_id: uuid.UUID
) -> BusinessCalendar:
    """Delete a calendar no SLA policy uses (deleted policies included); records
    `business_calendar.deleted`."""
    row = await get_row(session, principal, CALENDAR_RULES, calendar_id)
    used = await session.scalar(
        select(policies.c.name).where(policies.c.calendar_id == calendar_id).limit(1)
    )
    if used is not None:
        raise ServiceError.single(
            ErrorCode.INVALID_STATE, f"the SLA policy {used!r} uses this calendar", "id"
        )
    data = row_to_dict(row, table_of(BusinessCalendar))
    record_event(
        session,
        principal,
        "business_calendar.deleted",
        "business_calendar",
        row.id,
        row.version + 1,
        data,
    )
    changes = {name: {"old": value, "new": None} for name, value in data.items()}
    record_audit(
        session, principal, "business_calendar.deleted", "business_calendar", row.id, changes
    )
    await session.delete(row)
    await session.flush()
    return row
