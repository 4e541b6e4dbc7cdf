"""Customer satisfaction: a rating of 1 to 5, with an optional comment, on a resolved or
closed ticket. Rating again replaces the earlier rating and comment."""

from __future__ import annotations

import dataclasses
import uuid
from typing import Annotated

from pydantic import Field
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.crud import Change, update_entity
from kernel.errors import ErrorCode, ServiceError
from kernel.inputs import InputModel, LongText
from kernel.outbox import record_event
from kernel.principal import Principal
from models import Ticket
from resolvers.tickets import clock
from resolvers.tickets.service import TICKET_RULES
from resolvers.tickets.workflow import DONE


class TicketRating(InputModel):
    rating: Annotated[int, Field(ge=1, le=5)]
    comment: LongText | None = None


async def _check_rateable(
    session: AsyncSession, principal: Principal, change: Change[Ticket]
) -> None:
    status, values = change.row.status, change.values
    if status not in DONE:
        raise ServiceError.single(
            ErrorCode.INVALID_STATE,
            f"only a resolved or closed ticket can be rated; this one is {status}",
            "id",
        )
    values["csat_rating"] = values.pop("rating")
    values["csat_comment"] = values.pop("comment", None)
    values["csat_at"] = clock.now()


async def _record_rated(
    session: AsyncSession, principal: Principal, change: Change[Ticket]
) -> None:
    row = change.row
    data = {"ticket_id": str(row.id), "rating": row.csat_rating, "comment": row.csat_comment}
    record_event(session, principal, "ticket.rated", "ticket", row.id, row.version, data)


_RATING_RULES = dataclasses.replace(
    TICKET_RULES,
    update_input=TicketRating,
    unique=(),
    before_write=_check_rateable,
    after_write=_record_rated,
)


async def rate_ticket(
    session: AsyncSession,
    principal: Principal,
    ticket_id: uuid.UUID,
    rating: int,
    comment: str | None = None,
) -> Ticket:
    """Record the customer's rating; `ticket.rated` beside `ticket.updated`."""
    return await update_entity(
        session, principal, _RATING_RULES, ticket_id, {"rating": rating, "comment": comment}
    )
