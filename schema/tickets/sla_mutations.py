"""Service desk mutations: business calendars and SLA policies, a team's ticket assignment
(service:manage), and a ticket's satisfaction rating (tickets:write)."""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import date
from typing import Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.errors import ErrorCode, InvalidArgumentError, ServiceError
from kernel.permissions import Scope
from kernel.principal import Principal
from kernel.unit_of_work import unit_of_work
from models import TicketAssignment as TicketAssignmentModel
from resolvers.tickets.calendars import CALENDAR_RULES, delete_calendar
from resolvers.tickets.policies import POLICY_RULES
from resolvers.tickets.satisfaction import rate_ticket
from resolvers.tickets.teams import set_team_ticket_assignment
from schema.context import Info
from schema.errors import UserError, user_errors
from schema.identity.users import Team, TicketAssignment
from schema.ids import decode_id_of
from schema.inputs import UNSET, update_input
from schema.mutations import entity_mutations
from schema.permissions import can_write, requires
from schema.tickets.sla import BusinessCalendar, SlaPolicy
from schema.tickets.types import Ticket, TicketPriority


@strawberry.input(description="A weekly working period, in the calendar's time zone.")
class WorkingPeriodInput:
    weekday: int = strawberry.field(description="0 is Monday, 6 Sunday.")
    start: str = strawberry.field(description='Local start, "HH:MM".')
    end: str = strawberry.field(
        description='Local end, "HH:MM" after the start ("24:00": midnight).'
    )


@strawberry.input(description="A new business calendar.")
class CreateBusinessCalendarInput:
    name: str
    time_zone: str = strawberry.field(description="IANA time zone, e.g. Europe/Berlin.")
    working_hours: list[WorkingPeriodInput] = strawberry.field(
        description="At least one period; periods of a day may not overlap."
    )
    holidays: list[date] | None = strawberry.field(
        default=UNSET, description="Local dates without working time."
    )


@strawberry.input(description="What an SLA policy promises for one priority.")
class SlaTargetInput:
    priority: TicketPriority
    first_response_minutes: int | None = strawberry.field(
        default=UNSET, description="Working minutes to the first public staff reply."
    )
    resolution_minutes: int | None = strawberry.field(
        default=UNSET, description="Working minutes to resolution."
    )


@strawberry.input(description="A new SLA policy.")
class CreateSlaPolicyInput:
    name: str
    customer_tier: str | None = strawberry.field(
        default=UNSET,
        description="For customers of this tier; none: the default policy. One active policy "
        "per tier (and one active default).",
    )
    calendar_id: strawberry.ID | None = strawberry.field(
        default=UNSET, description="Count working hours of this calendar; none: calendar time."
    )
    active: bool | None = UNSET
    targets: list[SlaTargetInput] | None = strawberry.field(
        default=UNSET, description="At most one per priority; given on update, replaces all."
    )


UpdateBusinessCalendarInput = update_input(
    CreateBusinessCalendarInput, "UpdateBusinessCalendarInput", "Changes to a business calendar."
)
UpdateSlaPolicyInput = update_input(
    CreateSlaPolicyInput, "UpdateSlaPolicyInput", "Changes to an SLA policy."
)


@strawberry.type(description="The team as written, or the errors that stopped the write.")
class TeamPayload:
    team: Team | None
    errors: list[UserError]


def _pk(global_id: str, type_name: str, argument: str) -> Any:
    try:
        return decode_id_of(global_id, type_name, argument)
    except InvalidArgumentError as exc:
        raise ServiceError.single(ErrorCode.NOT_FOUND, str(exc), argument) from exc


async def _apply(info: Info, action: Any) -> Any:
    """The written row, or the payload errors (paths in argument names) of a refusal."""
    try:
        async with unit_of_work(info.context.session_factory) as session:
            return await action(session, info.context.principal)
    except ServiceError as exc:
        return user_errors(exc.errors, ())


def _mutation(resolver: Any, payload: Any, description: str, allowed: Any) -> Any:
    resolver.__annotations__["return"] = payload
    return strawberry.mutation(
        resolver=resolver, description=description, permission_classes=allowed
    )


def service_desk_mutations(update_ticket: Any) -> dict[str, Any]:
    """The service desk's mutation fields; `rateTicket` answers like ``update_ticket``."""
    fields: dict[str, Any] = {}
    fields.update(
        entity_mutations(
            CALENDAR_RULES,
            BusinessCalendar,
            CreateBusinessCalendarInput,
            UpdateBusinessCalendarInput,
        )
    )
    fields.update(
        entity_mutations(POLICY_RULES, SlaPolicy, CreateSlaPolicyInput, UpdateSlaPolicyInput)
    )
    calendar_payload = fields["update_business_calendar"].type
    ticket_payload = update_ticket.type

    def answer(payload: Any, node: Any, field: str, result: Any) -> Any:
        if isinstance(result, list):
            return payload(**{field: None, "errors": result})
        return payload(**{field: node.from_row(result), "errors": []})

    async def delete_business_calendar(info: Info, id: strawberry.ID) -> Any:
        def action(session: AsyncSession, principal: Principal) -> Awaitable[Any]:
            return delete_calendar(session, principal, _pk(id, "BusinessCalendar", "id"))

        result = await _apply(info, action)
        return answer(calendar_payload, BusinessCalendar, "businessCalendar", result)

    async def rate_ticket_(
        info: Info, id: strawberry.ID, rating: int, comment: str | None = None
    ) -> Any:
        def action(session: AsyncSession, principal: Principal) -> Awaitable[Any]:
            return rate_ticket(session, principal, _pk(id, "Ticket", "id"), rating, comment)

        return answer(ticket_payload, Ticket, "ticket", await _apply(info, action))

    async def set_team_ticket_assignment_(
        info: Info, team_id: strawberry.ID, mode: TicketAssignment
    ) -> TeamPayload:
        def action(session: AsyncSession, principal: Principal) -> Awaitable[Any]:
            team = _pk(team_id, "Team", "team_id")
            return set_team_ticket_assignment(session, principal, team, TicketAssignmentModel(mode))

        result = await _apply(info, action)
        return answer(TeamPayload, Team, "team", result)  # type: ignore[no-any-return]

    return fields | {
        "delete_business_calendar": _mutation(
            delete_business_calendar,
            calendar_payload,
            "Delete a business calendar that no SLA policy uses.",
            can_write("business_calendar"),
        ),
        "rate_ticket": _mutation(
            rate_ticket_,
            ticket_payload,
            "Record the customer's satisfaction (1 to 5, with an optional comment) with a "
            "resolved or closed ticket; rating again replaces it. Emits `ticket.rated`.",
            can_write("ticket"),
        ),
        "set_team_ticket_assignment": _mutation(
            set_team_ticket_assignment_,
            TeamPayload,
            "How a team's new tickets without an assignee find one (service:manage).",
            [requires(Scope.SERVICE_MANAGE)],
        ),
    }
