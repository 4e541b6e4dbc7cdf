"""What a service report covers: the tickets a filter and the viewer's visibility let
through, how its rows are grouped, and durations in whole seconds on either database."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, Integer, cast, func, null

from kernel.principal import Principal
from kernel.tables import table_of
from kernel.visibility import row_filter
from models import Ticket, TicketChannel, TicketPriority
from resolvers.deals.reports.scope import day_start

tickets = table_of(Ticket)


class ServiceGroup(StrEnum):
    TEAM = "team"
    ASSIGNEE = "assignee"
    PRIORITY = "priority"
    CHANNEL = "channel"


@dataclass(frozen=True)
class TicketReportFilter:
    """Which tickets a report covers; ``start`` and ``end`` are inclusive UTC days of
    `created_at`."""

    team_ids: Sequence[uuid.UUID] | None = None
    assignee_ids: Sequence[uuid.UUID] | None = None
    priorities: Sequence[TicketPriority] | None = None
    channels: Sequence[TicketChannel] | None = None
    start: date | None = None
    end: date | None = None


@dataclass(frozen=True)
class TicketScope:
    """A report's filter, grouping, viewer and the time ages are measured at."""

    filter: TicketReportFilter
    principal: Principal
    now: datetime
    group_by: ServiceGroup | None = None

    def conditions(self) -> list[ColumnElement[bool]]:
        """Tickets not deleted, matching every given filter, and visible to the viewer."""
        f = self.filter
        conditions: list[ColumnElement[bool]] = [tickets.c.deleted_at.is_(None)]
        for column, values in (
            (tickets.c.team_id, f.team_ids),
            (tickets.c.assignee_id, f.assignee_ids),
            (tickets.c.priority, [p.value for p in f.priorities or ()] or f.priorities),
            (tickets.c.channel, [c.value for c in f.channels or ()] or f.channels),
        ):
            if values is not None:
                conditions.append(column.in_(list(values)))
        if f.start is not None:
            conditions.append(tickets.c.created_at >= day_start(f.start))
        if f.end is not None:
            conditions.append(tickets.c.created_at < day_start(f.end, 1))
        if (visible := row_filter("tickets", self.principal)) is not None:
            conditions.append(visible)
        return conditions

    def group_key(self) -> ColumnElement[Any]:
        """The column rows are grouped by, labelled `group_key`; NULL when not grouped."""
        match self.group_by:
            case ServiceGroup.TEAM:
                return tickets.c.team_id.label("group_key")
            case ServiceGroup.ASSIGNEE:
                return tickets.c.assignee_id.label("group_key")
            case ServiceGroup.PRIORITY:
                return tickets.c.priority.label("group_key")
            case ServiceGroup.CHANNEL:
                return tickets.c.channel.label("group_key")
        return null().label("group_key")

    def grouping(self) -> list[ColumnElement[Any]]:
        """The GROUP BY of a per-group aggregate over the tickets (none when not grouped:
        PostgreSQL refuses to group by a constant)."""
        return [] if self.group_by is None else [self.group_key()]


def seconds_between(dialect: str, start: Any, end: Any) -> ColumnElement[int]:
    """Whole seconds from ``start`` to ``end``, fractions of each dropped, on either database."""
    if dialect == "postgresql":
        return cast(_pg_epoch(end) - _pg_epoch(start), BigInteger)
    return _sqlite_epoch(end) - _sqlite_epoch(start)


def _pg_epoch(moment: Any) -> ColumnElement[Any]:
    return func.floor(func.extract("epoch", moment))


def _sqlite_epoch(moment: Any) -> ColumnElement[int]:
    # Cut the stored text ("2026-01-31 10:00:00.250000") to whole seconds: strftime would
    # round the fraction, where PostgreSQL's floor drops it.
    return cast(func.strftime("%s", func.substr(moment, 1, 19)), Integer)
