"""Whose records a user sees: the reach of the sales and support roles.

Sales reps see what they or their team own, managers what their team or their reports own;
support sees the tickets and the customers behind them. Admins, marketing, read-only users, API
clients and operators see every row (their scopes still limit which types).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from sqlalchemy import Select, or_, select

from kernel.principal import Principal, PrincipalKind
from kernel.tables import table_of
from models.identity import User

users = table_of(User)


class Reach(StrEnum):
    """How far a user's rows reach, for the roles that do not see every row."""

    TEAM = "team"  # sales reps and managers: what they, their team (and reports) own
    SUPPORT = "support"  # support agents: tickets, and the records behind them


_REACH = {"sales_rep": Reach.TEAM, "sales_manager": Reach.TEAM, "support": Reach.SUPPORT}


def reach(principal: Principal) -> Reach | None:
    """The limited reach of a signed-in user, or None for those who see every row."""
    if principal.kind is not PrincipalKind.USER or principal.user_id is None:
        return None
    return _REACH.get(principal.role or "")


def owner_ids(principal: Principal) -> Select[Any]:
    """Ids of the users whose records this sales user sees: their team, and for managers
    their direct reports too."""
    me = principal.user_id
    my_team = select(users.c.team_id).where(users.c.id == me).scalar_subquery()
    condition = or_(users.c.id == me, users.c.team_id == my_team)
    if principal.role == "sales_manager":
        condition = or_(condition, users.c.manager_id == me)
    return select(users.c.id).where(condition)
