"""Team auto-assignment: a ticket given to a team without an assignee goes to an active member,
in turn (round robin) or to whoever has the fewest open tickets (least loaded)."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.tables import table_of
from models import Team, Ticket, TicketAssignment, TicketStatus, User

teams = table_of(Team)
users = table_of(User)
tickets = table_of(Ticket)

OPEN_STATUSES = [TicketStatus.NEW.value, TicketStatus.OPEN.value, TicketStatus.PENDING.value]


async def pick_assignee(session: AsyncSession, team_id: uuid.UUID) -> uuid.UUID | None:
    """The member who gets the team's next ticket (None if the team does not auto-assign or has
    no active member), and remember them as the last assigned.

    The team row is locked (on PostgreSQL) until the transaction ends, so that concurrent
    tickets for one team take turns instead of picking the same member. Members are ordered by
    id, a key that never changes.
    """
    team = (
        await session.execute(select(teams).where(teams.c.id == team_id).with_for_update())
    ).one_or_none()
    if team is None or team.ticket_assignment == TicketAssignment.NONE:
        return None
    members = select(users.c.id).where(users.c.team_id == team_id, users.c.active.is_(True))
    if team.ticket_assignment == TicketAssignment.ROUND_ROBIN:
        chosen = None
        if team.last_assigned_user_id is not None:
            after = members.where(users.c.id > team.last_assigned_user_id)
            chosen = await session.scalar(after.order_by(users.c.id).limit(1))
        if chosen is None:
            chosen = await session.scalar(members.order_by(users.c.id).limit(1))
    else:
        load = (
            select(func.count(tickets.c.id))
            .where(
                tickets.c.assignee_id == users.c.id,
                tickets.c.status.in_(OPEN_STATUSES),
                tickets.c.deleted_at.is_(None),
            )
            .scalar_subquery()
        )
        chosen = await session.scalar(members.order_by(load, users.c.id).limit(1))
    if chosen is not None:
        await session.execute(
            teams.update().where(teams.c.id == team_id).values(last_assigned_user_id=chosen)
        )
    return chosen
