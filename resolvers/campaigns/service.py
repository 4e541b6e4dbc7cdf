"""Campaigns and their members."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from models import (
    Campaign,
    CampaignChannel,
    CampaignMember,
    CampaignStatus,
    Contact,
    MemberStatus,
    User,
    utcnow,
)
from resolvers.crud import EntityRules
from resolvers.errors import ErrorCode, ServiceError
from resolvers.inputs import Currency, InputModel, Money, Name, partial
from resolvers.principal import Principal


class CampaignCreate(InputModel):
    name: Name
    channel: CampaignChannel
    status: CampaignStatus = CampaignStatus.DRAFT
    currency: Currency = "USD"
    budget: Money | None = None
    actual_cost: Money = 0  # type: ignore[assignment]
    starts_on: date | None = None
    ends_on: date | None = None
    owner_id: uuid.UUID | None = None


class CampaignMemberCreate(InputModel):
    campaign_id: uuid.UUID
    contact_id: uuid.UUID
    status: MemberStatus = MemberStatus.TARGETED


class CampaignMemberUpdate(InputModel):
    status: MemberStatus | None = None


async def _check_dates(
    session: AsyncSession, principal: Principal, row: Any, changes: dict[str, Any], _: Any
) -> None:
    starts = changes.get("starts_on", row.starts_on)
    ends = changes.get("ends_on", row.ends_on)
    if starts is not None and ends is not None and starts > ends:
        raise ServiceError.single(ErrorCode.VALIDATION, "ends before it starts", "ends_on")


async def _stamp_response(
    session: AsyncSession, principal: Principal, row: Any, changes: dict[str, Any], _: Any
) -> None:
    responded = {MemberStatus.RESPONDED, MemberStatus.CONVERTED}
    if changes.get("status") in responded and row.responded_at is None:
        changes["responded_at"] = utcnow()


CAMPAIGN_RULES = EntityRules(
    model=Campaign,
    entity="campaign",
    create_input=CampaignCreate,
    update_input=partial(CampaignCreate, "CampaignUpdate"),
    references={"owner_id": User},
    unique=(),
    before_write=_check_dates,
)

CAMPAIGN_MEMBER_RULES = EntityRules(
    model=CampaignMember,
    entity="campaign_member",
    create_input=CampaignMemberCreate,
    update_input=CampaignMemberUpdate,
    references={"campaign_id": Campaign, "contact_id": Contact},
    unique=(("campaign_id", "contact_id"),),
    before_write=_stamp_response,
)
