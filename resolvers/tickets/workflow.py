"""The ticket workflow: which status may follow which, and what each transition records."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from kernel.errors import ErrorCode, ServiceError
from models import Ticket, TicketStatus

NEW, OPEN, PENDING, RESOLVED, CLOSED = (
    TicketStatus.NEW,
    TicketStatus.OPEN,
    TicketStatus.PENDING,
    TicketStatus.RESOLVED,
    TicketStatus.CLOSED,
)

# Every allowed change of status. resolved -> open is a reopen, allowed only within the
# reopen window after the resolution; closed is final.
TRANSITIONS: Mapping[TicketStatus, frozenset[TicketStatus]] = {
    NEW: frozenset({OPEN, PENDING, RESOLVED, CLOSED}),
    OPEN: frozenset({PENDING, RESOLVED, CLOSED}),
    PENDING: frozenset({OPEN, RESOLVED, CLOSED}),
    RESOLVED: frozenset({OPEN, CLOSED}),
    CLOSED: frozenset(),
}
DONE = frozenset({RESOLVED, CLOSED})


class WorkflowSettings:
    """Process-wide workflow settings (set from the app's settings at start-up)."""

    reopen_window = timedelta(days=7)


def configure_workflow(reopen_window_days: int) -> None:
    """How long after its resolution a ticket may be reopened."""
    WorkflowSettings.reopen_window = timedelta(days=reopen_window_days)


def check_transition(row: Ticket, to: TicketStatus, now: datetime) -> None:
    """INVALID_STATE (at `status`) unless the table allows ``row.status -> to`` now."""
    current = TicketStatus(row.status)
    if to not in TRANSITIONS[current]:
        allowed = ", ".join(sorted(status.value for status in TRANSITIONS[current])) or "none"
        raise ServiceError.single(
            ErrorCode.INVALID_STATE,
            f"a {current.value} ticket cannot become {to.value} (allowed: {allowed})",
            "status",
        )
    if current is RESOLVED and to is OPEN:
        window = WorkflowSettings.reopen_window
        if row.resolved_at is None or now - row.resolved_at > window:
            raise ServiceError.single(
                ErrorCode.INVALID_STATE,
                f"a ticket can be reopened only within {window.days} days of its resolution",
                "status",
            )


def transition_effects(
    row: Ticket, to: TicketStatus, now: datetime, creating: bool = False
) -> dict[str, Any]:
    """The fields entering ``to`` sets: resolved_at when resolved (or closed unresolved),
    closed_at when closed; a reopen counts and clears resolved_at."""
    effects: dict[str, Any] = {}
    if to is RESOLVED:
        effects["resolved_at"] = now
    elif to is CLOSED:
        effects["closed_at"] = now
        if creating or row.resolved_at is None:
            effects["resolved_at"] = now
    elif not creating and row.status == RESOLVED:
        effects["reopened_count"] = row.reopened_count + 1
        effects["resolved_at"] = None
    return effects
