"""Campaigns and their members."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import strawberry

from models import CampaignChannel as CampaignChannelModel
from models import CampaignStatus as CampaignStatusModel
from models import MemberStatus as MemberStatusModel
from resolvers.graph import (
    CHILDREN_BY_CAMPAIGN,
    COSTS_BY_CAMPAIGN,
    DEALS_BY_CAMPAIGN,
    MEMBERS_BY_CAMPAIGN,
)
from schema.connections import connection_field, lazy, order_input, to_one
from schema.customers.types import Contact, ContactFilter
from schema.deals.types import Deal, DealFilter, DealOrder
from schema.filters import (
    DateFilter,
    DateTimeFilter,
    IDFilter,
    StringFilter,
    enum_filter,
    some_or_none,
)
from schema.identity.users import User
from schema.node import Node

CampaignChannel = strawberry.enum(CampaignChannelModel, name="CampaignChannel")
CampaignStatus = strawberry.enum(CampaignStatusModel, name="CampaignStatus")
MemberStatus = strawberry.enum(MemberStatusModel, name="CampaignMemberStatus")
CampaignChannelFilter = enum_filter(CampaignChannelModel, "CampaignChannelFilter")
CampaignStatusFilter = enum_filter(CampaignStatusModel, "CampaignStatusFilter")
MemberStatusFilter = enum_filter(MemberStatusModel, "CampaignMemberStatusFilter")
CampaignOrder = order_input("campaign", "Campaign")
CampaignMemberOrder = order_input("campaign_member", "CampaignMember")
CampaignCostOrder = order_input("campaign_cost", "CampaignCost")


@strawberry.input(description="Conditions on campaign members.")
class CampaignMemberFilter:
    id: IDFilter | None = strawberry.UNSET
    campaign_id: IDFilter | None = strawberry.UNSET
    contact_id: IDFilter | None = strawberry.UNSET
    status: MemberStatusFilter | None = strawberry.UNSET
    segment_id: IDFilter | None = strawberry.UNSET
    responded_at: DateTimeFilter | None = strawberry.UNSET
    created_at: DateTimeFilter | None = strawberry.UNSET
    campaign: CampaignFilter | None = strawberry.UNSET
    contact: ContactFilter | None = strawberry.UNSET
    and_: list[CampaignMemberFilter] | None = strawberry.field(name="and", default=strawberry.UNSET)
    or_: list[CampaignMemberFilter] | None = strawberry.field(name="or", default=strawberry.UNSET)
    not_: CampaignMemberFilter | None = strawberry.field(name="not", default=strawberry.UNSET)


MemberListFilter = some_or_none("MemberListFilter", CampaignMemberFilter, "member")


AttributedDealListFilter = some_or_none("AttributedDealListFilter", DealFilter, "deal")


@strawberry.input(description="Conditions on campaigns.")
class CampaignFilter:
    id: IDFilter | None = strawberry.UNSET
    name: StringFilter | None = strawberry.UNSET
    channel: CampaignChannelFilter | None = strawberry.UNSET
    status: CampaignStatusFilter | None = strawberry.UNSET
    owner_id: IDFilter | None = strawberry.UNSET
    parent_id: IDFilter | None = strawberry.UNSET
    starts_on: DateFilter | None = strawberry.UNSET
    ends_on: DateFilter | None = strawberry.UNSET
    created_at: DateTimeFilter | None = strawberry.UNSET
    updated_at: DateTimeFilter | None = strawberry.UNSET
    deleted_at: DateTimeFilter | None = strawberry.UNSET
    parent: CampaignFilter | None = strawberry.UNSET
    members: MemberListFilter | None = strawberry.UNSET
    deals: AttributedDealListFilter | None = strawberry.UNSET
    and_: list[CampaignFilter] | None = strawberry.field(name="and", default=strawberry.UNSET)
    or_: list[CampaignFilter] | None = strawberry.field(name="or", default=strawberry.UNSET)
    not_: CampaignFilter | None = strawberry.field(name="not", default=strawberry.UNSET)


@strawberry.input(description="Conditions on campaign costs.")
class CampaignCostFilter:
    id: IDFilter | None = strawberry.UNSET
    incurred_on: DateFilter | None = strawberry.UNSET
    created_at: DateTimeFilter | None = strawberry.UNSET


@strawberry.type(description="A contact targeted by a campaign, and how they responded.")
class CampaignMember(Node):
    status: MemberStatus
    sent_at: datetime | None = strawberry.field(description="When first sent.")
    opened_at: datetime | None = strawberry.field(description="When first opened.")
    clicked_at: datetime | None = strawberry.field(description="When first clicked.")
    responded_at: datetime | None = strawberry.field(
        description="When first responded (or converted)."
    )
    converted_at: datetime | None = strawberry.field(description="When first converted.")
    bounced_at: datetime | None = strawberry.field(description="When first bounced.")
    unsubscribed_at: datetime | None = strawberry.field(description="When unsubscribed.")
    version: int
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None
    campaign_id: strawberry.Private[Any]
    contact_id: strawberry.Private[Any]
    segment_id: strawberry.Private[Any]

    campaign = to_one(
        lazy("Campaign", "schema.campaigns.types"), "campaign_id", "campaign", "The campaign."
    )

    contact = to_one(Contact, "contact_id", "contact", "The person targeted.")

    segment = to_one(
        lazy("Segment", "schema.campaigns.segments"),
        "segment_id",
        "segment",
        "The segment added from.",
    )


@strawberry.type(description="One cost of a campaign, in the campaign's currency.")
class CampaignCost(Node):
    incurred_on: date
    amount: Decimal
    description: str | None
    created_at: datetime


@strawberry.type(description="A marketing campaign.")
class Campaign(Node):
    name: str
    channel: CampaignChannel
    status: CampaignStatus
    currency: str
    budget: Decimal | None
    actual_cost: Decimal = strawberry.field(description="The sum of the campaign's costs.")
    expected_revenue: Decimal | None
    starts_on: date | None
    ends_on: date | None
    version: int
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None
    owner_id: strawberry.Private[Any]
    parent_id: strawberry.Private[Any]

    owner = to_one(User, "owner_id", "user", "The user running the campaign.")

    parent = to_one(
        lazy("Campaign", "schema.campaigns.types"), "parent_id", "campaign", "The parent campaign."
    )

    children = connection_field(
        CHILDREN_BY_CAMPAIGN,
        lazy("Campaign", "schema.campaigns.types"),
        lazy("CampaignFilter", "schema.campaigns.types"),
        CampaignOrder,
        "created_at",
        "The campaigns under this one (their figures roll up into it).",
    )
    costs = connection_field(
        COSTS_BY_CAMPAIGN,
        CampaignCost,
        CampaignCostFilter,
        CampaignCostOrder,
        "incurred_on",
        "The campaign's costs; `actualCost` is their sum.",
    )

    members = connection_field(
        MEMBERS_BY_CAMPAIGN,
        CampaignMember,
        CampaignMemberFilter,
        CampaignMemberOrder,
        "created_at",
        "Contacts targeted by the campaign.",
    )
    deals = connection_field(
        DEALS_BY_CAMPAIGN,
        Deal,
        DealFilter,
        DealOrder,
        "created_at",
        "Deals attributed to the campaign (their source campaign).",
    )
