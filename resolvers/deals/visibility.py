"""Which deals and stage changes a user sees: their team's, and those of customers they see."""

from __future__ import annotations

from sqlalchemy import ColumnElement, or_, select

from kernel.principal import Principal
from kernel.tables import table_of
from kernel.visibility import RowRule
from models.deals import Deal, DealStageChange
from resolvers.customers.visibility import visible_customer_ids
from resolvers.identity.visibility import Reach, owner_ids, reach

deals = table_of(Deal)
stage_changes = table_of(DealStageChange)


def _visible(principal: Principal) -> ColumnElement[bool]:
    return or_(
        deals.c.owner_id.in_(owner_ids(principal)),
        deals.c.customer_id.in_(visible_customer_ids(principal)),
    )


def _deals(principal: Principal) -> ColumnElement[bool] | None:
    return _visible(principal) if reach(principal) is Reach.TEAM else None


def _stage_changes(principal: Principal) -> ColumnElement[bool] | None:
    if reach(principal) is Reach.TEAM:
        return stage_changes.c.deal_id.in_(select(deals.c.id).where(_visible(principal)))
    return None


ROW_RULES: dict[str, RowRule] = {deals.name: _deals, stage_changes.name: _stage_changes}
