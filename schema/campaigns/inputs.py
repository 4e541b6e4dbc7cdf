"""Inputs of the campaign and campaign member mutations. An update input has the create
input's fields, all optional: only the fields given are changed."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import strawberry

from schema.campaigns.types import CampaignChannel, CampaignStatus, MemberStatus
from schema.inputs import UNSET


@strawberry.input(description="A new campaign.")
class CreateCampaignInput:
    name: str
    channel: CampaignChannel
    status: CampaignStatus | None = UNSET
    currency: str | None = UNSET
    budget: Decimal | None = UNSET
    actual_cost: Decimal | None = strawberry.field(
        default=UNSET,
        deprecation_reason="The actual cost is the sum of the campaign's costs "
        "(addCampaignCost, removeCampaignCost); setting it is refused with VALIDATION.",
    )
    expected_revenue: Decimal | None = UNSET
    parent_id: strawberry.ID | None = strawberry.field(
        default=UNSET, description="The parent campaign, whose figures include this one's."
    )
    starts_on: date | None = UNSET
    ends_on: date | None = UNSET
    owner_id: strawberry.ID | None = UNSET


@strawberry.input(description="Changes to a Campaign.")
class UpdateCampaignInput:
    name: str | None = UNSET
    channel: CampaignChannel | None = UNSET
    status: CampaignStatus | None = UNSET
    currency: str | None = UNSET
    budget: Decimal | None = UNSET
    actual_cost: Decimal | None = UNSET
    expected_revenue: Decimal | None = UNSET
    parent_id: strawberry.ID | None = UNSET
    starts_on: date | None = UNSET
    ends_on: date | None = UNSET
    owner_id: strawberry.ID | None = UNSET


@strawberry.input(description="A contact added to a campaign.")
class CreateCampaignMemberInput:
    campaign_id: strawberry.ID
    contact_id: strawberry.ID
    status: MemberStatus | None = UNSET


@strawberry.input(description="A member's new status.")
class UpdateCampaignMemberInput:
    status: MemberStatus | None = UNSET
