"""A team's ticket assignment mode (service:manage)."""

from __future__ import annotations

import dataclasses
import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from kernel.crud import update_entity
from kernel.inputs import InputModel
from kernel.principal import Principal
from models import Team, TicketAssignment
from resolvers.identity.users import TEAM_RULES


class TeamAssignmentUpdate(InputModel):
    ticket_assignment: TicketAssignment


_ASSIGNMENT_RULES = dataclasses.replace(TEAM_RULES, update_input=TeamAssignmentUpdate, unique=())


async def set_team_ticket_assignment(
    session: AsyncSession, principal: Principal, team_id: uuid.UUID, mode: TicketAssignment
) -> Team:
    """How the team's new tickets find an assignee; records `team.updated`."""
    return await update_entity(
        session, principal, _ASSIGNMENT_RULES, team_id, {"ticket_assignment": mode}
    )
