"""A campaign's cost entries; its `actual_cost` is their sum, kept in the same transaction."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import date

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.crud import get_row, update_entity, validate_input
from kernel.errors import ErrorCode, ServiceError
from kernel.inputs import InputModel, Money, ShortText
from kernel.principal import Principal
from kernel.tables import table_of
from models import Campaign, CampaignCost
from resolvers.campaigns.service import CAMPAIGN_RULES

costs = table_of(CampaignCost)


class CostInput(InputModel):
    campaign_id: uuid.UUID
    incurred_on: date
    amount: Money
    description: ShortText | None = None


class _ActualCost(InputModel):
    actual_cost: Money


# Only this module writes `actual_cost`: the API's campaign inputs do not have it.
_SYNC_RULES = dataclasses.replace(
    CAMPAIGN_RULES, create_input=_ActualCost, update_input=_ActualCost, before_write=None
)


async def _sync_actual_cost(
    session: AsyncSession, principal: Principal, campaign_id: uuid.UUID
) -> Campaign:
    total = await session.scalar(
        select(func.coalesce(func.sum(costs.c.amount), 0)).where(costs.c.campaign_id == campaign_id)
    )
    return await update_entity(session, principal, _SYNC_RULES, campaign_id, {"actual_cost": total})


async def add_campaign_cost(
    session: AsyncSession, principal: Principal, data: dict[str, object]
) -> Campaign:
    """Record a cost of a campaign and add it to the campaign's actual cost."""
    values = validate_input(CostInput, data)
    campaign = await get_row(session, principal, CAMPAIGN_RULES, values["campaign_id"])
    session.add(CampaignCost(**values))
    await session.flush()
    return await _sync_actual_cost(session, principal, campaign.id)


async def remove_campaign_cost(
    session: AsyncSession, principal: Principal, cost_id: uuid.UUID
) -> Campaign:
    """Delete a cost entry and take it off the campaign's actual cost."""
    campaign_id = await session.scalar(select(costs.c.campaign_id).where(costs.c.id == cost_id))
    if campaign_id is None:
        raise ServiceError.single(ErrorCode.NOT_FOUND, "campaign cost not found", "id")
    await get_row(session, principal, CAMPAIGN_RULES, campaign_id)
    await session.execute(delete(costs).where(costs.c.id == cost_id))
    return await _sync_actual_cost(session, principal, campaign_id)
