"""Inputs of the deal and sales mutations: deals (an update input has the create input's
fields, all optional: only the fields given are changed), pipelines, stages, lost reasons,
products and line items."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import strawberry

from schema.deals.types import ForecastCategory, StageKind
from schema.inputs import UNSET


@strawberry.input(description="A new deal; without a stage it starts in the pipeline's first.")
class CreateDealInput:
    name: str
    customer_id: strawberry.ID
    amount: Decimal
    currency: str = strawberry.field(description="ISO 4217 code, e.g. EUR.")
    contact_id: strawberry.ID | None = UNSET
    pipeline_id: strawberry.ID | None = UNSET
    stage_id: strawberry.ID | None = UNSET
    owner_id: strawberry.ID | None = UNSET
    campaign_id: strawberry.ID | None = UNSET
    expected_close_date: date | None = UNSET
    lost_reason_id: strawberry.ID | None = strawberry.field(
        default=UNSET, description="Why it was lost: required in (and only in) a lost stage."
    )
    external_id: str | None = UNSET


@strawberry.input(description="Changes to a Deal.")
class UpdateDealInput:
    name: str | None = UNSET
    customer_id: strawberry.ID | None = UNSET
    amount: Decimal | None = UNSET
    currency: str | None = UNSET
    contact_id: strawberry.ID | None = UNSET
    pipeline_id: strawberry.ID | None = UNSET
    stage_id: strawberry.ID | None = UNSET
    owner_id: strawberry.ID | None = UNSET
    campaign_id: strawberry.ID | None = UNSET
    expected_close_date: date | None = UNSET
    lost_reason_id: strawberry.ID | None = UNSET
    external_id: str | None = UNSET


@strawberry.input(description="A stage of a new pipeline.")
class PipelineStageInput:
    name: str
    probability: int | None = strawberry.field(default=UNSET, description="0-100; default 0.")
    kind: StageKind | None = strawberry.field(default=UNSET, description="Default OPEN.")
    forecast_category: ForecastCategory | None = strawberry.field(
        default=UNSET, description="Default from the kind: PIPELINE, CLOSED (won), OMITTED (lost)."
    )


@strawberry.input(description="A new pipeline and its stages, in order.")
class CreatePipelineInput:
    name: str
    stages: list[PipelineStageInput]
    is_default: bool | None = strawberry.field(
        default=UNSET, description="Default: only if there is no default pipeline yet."
    )


@strawberry.input(description="Changes to a pipeline.")
class UpdatePipelineInput:
    name: str | None = UNSET
    is_default: bool | None = strawberry.field(
        default=UNSET, description="`true` makes it the default instead of the current one."
    )


@strawberry.input(description="A new stage, added at the end of its pipeline.")
class CreateStageInput:
    pipeline_id: strawberry.ID
    name: str
    probability: int | None = strawberry.field(default=UNSET, description="0-100; default 0.")
    kind: StageKind | None = strawberry.field(default=UNSET, description="Default OPEN.")
    forecast_category: ForecastCategory | None = strawberry.field(
        default=UNSET, description="Default from the kind: PIPELINE, CLOSED (won), OMITTED (lost)."
    )


@strawberry.input(description="Changes to a stage; its kind only while no deal is in it.")
class UpdateStageInput:
    name: str | None = UNSET
    probability: int | None = UNSET
    kind: StageKind | None = UNSET
    forecast_category: ForecastCategory | None = UNSET


@strawberry.input(description="A new lost reason, added at the end of the list.")
class CreateLostReasonInput:
    name: str
    active: bool | None = UNSET


@strawberry.input(description="Rename, deactivate or reactivate a lost reason.")
class UpdateLostReasonInput:
    name: str | None = UNSET
    active: bool | None = UNSET


@strawberry.input(description="A list price.")
class ProductPriceInput:
    currency: str = strawberry.field(description="ISO 4217 code.")
    unit_price: Decimal


@strawberry.input(description="A new product.")
class CreateProductInput:
    name: str
    sku: str
    description: str | None = UNSET
    active: bool | None = UNSET
    prices: list[ProductPriceInput] | None = strawberry.field(
        default=UNSET, description="List prices, one per currency."
    )


@strawberry.input(description="Changes to a product; prices change with `setProductPrice`.")
class UpdateProductInput:
    name: str | None = UNSET
    sku: str | None = UNSET
    description: str | None = UNSET
    active: bool | None = UNSET


@strawberry.input(description="A product on a deal.")
class DealLineItemInput:
    product_id: strawberry.ID
    quantity: Decimal
    unit_price: Decimal | None = strawberry.field(
        default=UNSET, description="Default: the product's list price in the deal's currency."
    )
    discount_percent: Decimal | None = strawberry.field(default=UNSET, description="0-100.")
