"""Segments and campaign performance."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Any

import strawberry
from strawberry.scalars import JSON

from kernel.errors import InvalidArgumentError, ServiceError
from kernel.repository import count_rows
from models import SegmentKind as SegmentKindModel
from resolvers.campaigns.performance import Performance, campaign_performance
from resolvers.campaigns.segment_filters import read_segment_filter as read_segment_filter
from resolvers.campaigns.segments import member_conditions
from resolvers.graph import SPECS
from schema.campaigns.types import Campaign, MemberStatus
from schema.connections import (
    Connection,
    checked_request,
    load_node,
    order_input,
    page_of,
    to_one,
)
from schema.context import Info
from schema.customers.types import (
    Contact,
    ContactOrder,
    Customer,
    CustomerOrder,
)
from schema.errors import bad_input
from schema.filters import DateTimeFilter, IDFilter, StringFilter, enum_filter
from schema.identity.users import User
from schema.node import Node
from schema.permissions import can_read
from schema.services import node_pk

SegmentKind = strawberry.enum(
    SegmentKindModel, name="SegmentKind", description="Evaluated on read, or a frozen snapshot."
)
SegmentKindFilter = enum_filter(SegmentKindModel, "SegmentKindFilter")
SegmentOrder = order_input("segment", "Segment")


@strawberry.input(description="Conditions on segments.")
class SegmentFilter:
    id: IDFilter | None = strawberry.UNSET
    name: StringFilter | None = strawberry.UNSET
    kind: SegmentKindFilter | None = strawberry.UNSET
    owner_id: IDFilter | None = strawberry.UNSET
    created_at: DateTimeFilter | None = strawberry.UNSET
    deleted_at: DateTimeFilter | None = strawberry.UNSET


@strawberry.enum(description="What a segment selects.")
class SegmentEntityType(Enum):
    CONTACT = "contact"
    CUSTOMER = "customer"


# --- segments ---


@strawberry.type(description="A saved filter over contacts or customers.")
class Segment(Node):
    name: str
    description: str | None
    kind: SegmentKind
    frozen_at: datetime | None = strawberry.field(description="When it was frozen, if static.")
    filter: JSON = strawberry.field(
        description="The filter, as the `contacts` or `customers` query takes it."
    )
    version: int
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None
    entity_type: strawberry.Private[str]
    owner_id: strawberry.Private[Any]
    row: strawberry.Private[Any]

    owner = to_one(User, "owner_id", "user", "The user who owns the segment.")

    @strawberry.field(name="entityType", description="Whether it selects contacts or customers.")
    def entity(self) -> SegmentEntityType:
        return SegmentEntityType(self.entity_type)

    @strawberry.field(description="How many records it selects now, of those you may see.")
    async def count(self, info: Info) -> int:
        conditions = self._conditions(info)
        async with info.context.session_factory() as session:
            return await count_rows(session, SPECS[self.entity_type], conditions)

    @strawberry.field(
        description="The contacts it selects (null for a customer segment).",
        permission_classes=can_read("contact"),
    )
    async def contacts(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        order_by: ContactOrder | None = None,
    ) -> Connection[Contact] | None:
        if self.entity_type != "contact":
            return None
        return await self._page(info, Contact, first, after, order_by, "last_name")  # type: ignore[no-any-return]

    @strawberry.field(
        description="The customers it selects (null for a contact segment).",
        permission_classes=can_read("customer"),
    )
    async def customers(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        order_by: CustomerOrder | None = None,
    ) -> Connection[Customer] | None:
        if self.entity_type != "customer":
            return None
        return await self._page(info, Customer, first, after, order_by, "name")  # type: ignore[no-any-return]

    async def _page(
        self, info: Info, node: Any, first: int | None, after: str | None, order_by: Any, by: str
    ) -> Any:
        request = checked_request(first, after, None, None)
        conditions = self._conditions(info)
        return await page_of(info, self.entity_type, node, request, order_by, by, conditions)

    def _conditions(self, info: Info) -> list[Any]:
        """The members' conditions for the reader: a filter on what it may not read (say,
        email without pii:read) is FORBIDDEN, even when someone else saved it."""
        try:
            return member_conditions(self.row, info.context.principal, read_segment_filter)
        except InvalidArgumentError as exc:
            raise bad_input(exc) from exc


# --- performance ---


@strawberry.type(description="How many members are in a status.")
class MemberStatusCount:
    status: MemberStatus
    count: int


@strawberry.type(
    description="A campaign's results (with its sub-campaigns' if asked). Amounts are summed "
    "as stored, without currency conversion: read them in the campaign's currency."
)
class CampaignPerformance:
    figures: strawberry.Private[Performance]
    campaign: Campaign

    @strawberry.field(description="Members per status (statuses without members are left out).")
    def members_by_status(self) -> list[MemberStatusCount]:
        counts = self.figures.members_by_status
        return [MemberStatusCount(status=status, count=n) for status, n in counts.items()]

    @strawberry.field(description="All members.")
    def members(self) -> int:
        return self.figures.members

    @strawberry.field(description="Members past `TARGETED` (sent, or any later status).")
    def sent(self) -> int:
        return self.figures.sent

    @strawberry.field(description="Members who responded (or converted).")
    def responded(self) -> int:
        return self.figures.responded

    @strawberry.field(description="Members who converted.")
    def converted(self) -> int:
        return self.figures.converted

    @strawberry.field(description="responded / sent; null when nothing was sent.")
    def response_rate(self) -> Decimal | None:
        return self.figures.response_rate

    @strawberry.field(description="converted / sent; null when nothing was sent.")
    def conversion_rate(self) -> Decimal | None:
        return self.figures.conversion_rate

    @strawberry.field(
        description="Member contacts created on or after their campaign's start date (its "
        "creation, without one), each counted once."
    )
    def leads(self) -> int:
        return self.figures.leads

    @strawberry.field(description="Deals whose source campaign it is.")
    def deals_created(self) -> int:
        return self.figures.deals_created

    @strawberry.field(description="The amount of those deals still open.")
    def pipeline_value(self) -> Decimal:
        return self.figures.pipeline_value

    @strawberry.field(description="The amount of those deals won.")
    def won_revenue_source(self) -> Decimal:
        return self.figures.won_revenue_source

    @strawberry.field(description="Won deals whose first touch was the campaign: their amount.")
    def won_revenue_first_touch(self) -> Decimal:
        return self.figures.won_revenue_first_touch

    @strawberry.field(description="Won deals whose last touch was the campaign: their amount.")
    def won_revenue_last_touch(self) -> Decimal:
        return self.figures.won_revenue_last_touch

    @strawberry.field(description="The actual cost (sum of cost entries).")
    def cost(self) -> Decimal:
        return self.figures.cost

    @strawberry.field(description="cost / leads; null without leads.")
    def cost_per_lead(self) -> Decimal | None:
        return self.figures.cost_per_lead

    @strawberry.field(description="(wonRevenueFirstTouch - cost) / cost; null when cost is 0.")
    def roi_first_touch(self) -> Decimal | None:
        return self.figures.roi_first_touch

    @strawberry.field(description="(wonRevenueLastTouch - cost) / cost; null when cost is 0.")
    def roi_last_touch(self) -> Decimal | None:
        return self.figures.roi_last_touch


async def resolve_campaign_performance(
    info: Info, campaign_id: strawberry.ID, include_children: bool = True
) -> CampaignPerformance | None:
    try:
        pk = node_pk(campaign_id, "Campaign")
        async with info.context.session_factory() as session:
            figures = await campaign_performance(
                session, info.context.principal, pk, include_children
            )
            campaign = await load_node(info, Campaign, pk)
    except ServiceError:
        return None  # as if there were no such campaign
    assert campaign is not None
    return CampaignPerformance(figures=figures, campaign=campaign)


CAMPAIGN_PERFORMANCE = strawberry.field(
    resolver=resolve_campaign_performance,
    description="A campaign's results; with `includeChildren` (the default) its descendants' "
    "roll up into it. Null if there is no such campaign.",
    permission_classes=can_read("campaign"),
)
