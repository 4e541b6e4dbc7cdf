"""Pipelines, stages, deals and their stage history."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

import strawberry

from models import ForecastCategory as ForecastCategoryModel
from models import StageKind as StageKindModel
from resolvers.graph import (
    HISTORY_BY_DEAL,
    LINE_ITEMS_BY_DEAL,
    PURCHASES_BY_DEAL,
    STAGES_BY_PIPELINE,
)
from schema.connections import connection_field, lazy, load_node, order_input, to_one
from schema.context import Info
from schema.customers.types import Contact, ContactFilter, Customer, CustomerFilter
from schema.deals.attribution import DealAttribution, deal_attribution
from schema.deals.catalog import (
    DealLineItem,
    DealLineItemFilter,
    DealLineItemOrder,
    LostReason,
    LostReasonFilter,
)
from schema.filters import (
    DateFilter,
    DateTimeFilter,
    DecimalFilter,
    IDFilter,
    IntFilter,
    StringFilter,
    enum_filter,
)
from schema.identity.users import User, UserFilter
from schema.node import Node
from schema.permissions import can_read

StageKind = strawberry.enum(
    StageKindModel, name="StageKind", description="Whether a stage is open, won or lost."
)
StageKindFilter = enum_filter(StageKindModel, "StageKindFilter")
ForecastCategory = strawberry.enum(
    ForecastCategoryModel,
    name="ForecastCategory",
    description="Where a stage's deals count in the forecast.",
)
ForecastCategoryFilter = enum_filter(ForecastCategoryModel, "ForecastCategoryFilter")
DealOrder = order_input("deal", "Deal")
StageOrder = order_input("stage", "Stage")
PipelineOrder = order_input("pipeline", "Pipeline")
StageChangeOrder = order_input("deal_stage_change", "DealStageChange")
CampaignT = Annotated["Campaign", strawberry.lazy("schema.campaigns.types")]  # type: ignore[name-defined]  # noqa: F821
CampaignFilterT = Annotated["CampaignFilter", strawberry.lazy("schema.campaigns.types")]  # type: ignore[name-defined]  # noqa: F821


@strawberry.input(description="Conditions on pipelines.")
class PipelineFilter:
    id: IDFilter | None = strawberry.UNSET
    name: StringFilter | None = strawberry.UNSET


@strawberry.input(description="Conditions on stages.")
class StageFilter:
    id: IDFilter | None = strawberry.UNSET
    pipeline_id: IDFilter | None = strawberry.UNSET
    name: StringFilter | None = strawberry.UNSET
    position: IntFilter | None = strawberry.UNSET
    probability: IntFilter | None = strawberry.UNSET
    kind: StageKindFilter | None = strawberry.UNSET
    forecast_category: ForecastCategoryFilter | None = strawberry.UNSET
    retired_at: DateTimeFilter | None = strawberry.UNSET
    pipeline: PipelineFilter | None = strawberry.UNSET


@strawberry.input(description="Conditions on deals.")
class DealFilter:
    id: IDFilter | None = strawberry.UNSET
    name: StringFilter | None = strawberry.UNSET
    customer_id: IDFilter | None = strawberry.UNSET
    contact_id: IDFilter | None = strawberry.UNSET
    pipeline_id: IDFilter | None = strawberry.UNSET
    stage_id: IDFilter | None = strawberry.UNSET
    owner_id: IDFilter | None = strawberry.UNSET
    campaign_id: IDFilter | None = strawberry.UNSET
    amount: DecimalFilter | None = strawberry.UNSET
    currency: StringFilter | None = strawberry.UNSET
    expected_close_date: DateFilter | None = strawberry.UNSET
    closed_at: DateTimeFilter | None = strawberry.UNSET
    lost_reason_id: IDFilter | None = strawberry.UNSET
    external_id: StringFilter | None = strawberry.UNSET
    created_at: DateTimeFilter | None = strawberry.UNSET
    updated_at: DateTimeFilter | None = strawberry.UNSET
    deleted_at: DateTimeFilter | None = strawberry.UNSET
    customer: CustomerFilter | None = strawberry.UNSET
    contact: ContactFilter | None = strawberry.UNSET
    stage: StageFilter | None = strawberry.UNSET
    lost_reason: LostReasonFilter | None = strawberry.UNSET
    owner: UserFilter | None = strawberry.UNSET
    campaign: CampaignFilterT | None = strawberry.UNSET
    and_: list[DealFilter] | None = strawberry.field(name="and", default=strawberry.UNSET)
    or_: list[DealFilter] | None = strawberry.field(name="or", default=strawberry.UNSET)
    not_: DealFilter | None = strawberry.field(name="not", default=strawberry.UNSET)


@strawberry.input(description="Conditions on stage changes.")
class DealStageChangeFilter:
    to_stage_id: IDFilter | None = strawberry.UNSET
    changed_at: DateTimeFilter | None = strawberry.UNSET


@strawberry.type(description="A step of a pipeline.")
class Stage(Node):
    name: str
    position: int = strawberry.field(description="Order within the pipeline, from 0.")
    probability: int = strawberry.field(description="Default win probability, in percent.")
    kind: StageKind
    forecast_category: ForecastCategory
    retired_at: datetime | None = strawberry.field(
        description="Set when retired: the stage takes no new deals; its history stays."
    )
    version: int
    pipeline_id: strawberry.Private[Any]

    pipeline = to_one(
        lazy("Pipeline", "schema.deals.types"),
        "pipeline_id",
        "pipeline",
        "The pipeline this stage belongs to.",
    )


@strawberry.type(description="A sales process: an ordered list of stages.")
class Pipeline(Node):
    name: str
    is_default: bool = strawberry.field(description="Deals created without a pipeline go here.")
    version: int

    stages = connection_field(
        STAGES_BY_PIPELINE, Stage, StageFilter, StageOrder, "position", "Stages, in order."
    )


@strawberry.type(description="A move of a deal from one stage to another.")
class DealStageChange(Node):
    changed_at: datetime
    amount: Decimal = strawberry.field(description="The deal's amount at the time.")
    currency: str
    from_stage_id: strawberry.Private[Any]
    to_stage_id: strawberry.Private[Any]
    changed_by_id: strawberry.Private[Any]

    @strawberry.field(
        description="Stage before the move; null when the deal was created.",
        permission_classes=can_read("stage"),
    )
    async def from_stage(self, info: Info) -> Stage | None:
        return await load_node(info, Stage, self.from_stage_id)

    to_stage = to_one(Stage, "to_stage_id", "stage", "Stage after the move.")

    changed_by = to_one(User, "changed_by_id", "user", "Who moved it.")


@strawberry.type(description="A sales opportunity with a customer.")
class Deal(Node):
    name: str
    amount: Decimal
    currency: str = strawberry.field(description="ISO 4217 code.")
    expected_close_date: date | None
    closed_at: datetime | None = strawberry.field(description="Set when won or lost.")
    external_id: str | None
    version: int
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None
    customer_id: strawberry.Private[Any]
    contact_id: strawberry.Private[Any]
    stage_id: strawberry.Private[Any]
    owner_id: strawberry.Private[Any]
    campaign_id: strawberry.Private[Any]
    lost_reason_id: strawberry.Private[Any]

    customer = to_one(Customer, "customer_id", "customer", "The customer the deal is with.")

    contact = to_one(Contact, "contact_id", "contact", "The main contact.")

    stage = to_one(Stage, "stage_id", "stage", "The current stage.")

    lost_reason = to_one(LostReason, "lost_reason_id", "lost_reason", "Why it was lost.")

    owner = to_one(User, "owner_id", "user", "The user who owns the deal.")

    campaign = to_one(CampaignT, "campaign_id", "campaign", "The campaign the deal came from.")

    @strawberry.field(
        description="The campaigns whose responses or interactions with the deal's people "
        "came first and last before the deal was created.",
        permission_classes=can_read("campaign"),
    )
    async def attribution(self, info: Info) -> DealAttribution:
        return await deal_attribution(info, self.pk)

    purchases = connection_field(
        PURCHASES_BY_DEAL,
        lazy("Purchase", "schema.customers.purchases"),
        lazy("PurchaseFilter", "schema.customers.purchases"),
        lazy("PurchaseOrder", "schema.customers.purchases"),
        "ordered_at",
        "Orders the ERP confirmed for this deal.",
    )

    history = connection_field(
        HISTORY_BY_DEAL,
        DealStageChange,
        DealStageChangeFilter,
        StageChangeOrder,
        "changed_at",
        "Every stage change, oldest first.",
    )

    line_items = connection_field(
        LINE_ITEMS_BY_DEAL,
        DealLineItem,
        DealLineItemFilter,
        DealLineItemOrder,
        "position",
        "Products on the deal; while there are any, `amount` is their sum.",
    )
