"""Managing pipelines, stages, lost reasons, products and exchange rates (sales:manage), and
a deal's line items (deals:write)."""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import date
from decimal import Decimal

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

import models
from kernel.errors import ServiceError
from kernel.errors import UserError as ServiceUserError
from kernel.principal import Principal
from resolvers.deals import pipelines, products, rates
from resolvers.deals.lost_reasons import LOST_REASON_RULES, reorder_lost_reasons
from resolvers.deals.pipelines import PIPELINE_RULES, STAGE_RULES
from resolvers.deals.products import PRODUCT_RULES
from resolvers.deals.service import set_deal_line_items
from schema.context import Info
from schema.deals.catalog import ExchangeRate, LostReason, Product
from schema.deals.inputs import (
    CreateLostReasonInput,
    CreatePipelineInput,
    CreateProductInput,
    CreateStageInput,
    DealLineItemInput,
    UpdateLostReasonInput,
    UpdatePipelineInput,
    UpdateProductInput,
    UpdateStageInput,
)
from schema.deals.mutations import WRITE_DEAL, DealPayload, deal_payload
from schema.deals.types import Pipeline, Stage
from schema.errors import UserError
from schema.inputs import to_values
from schema.mutations import create_row, set_row_deleted, update_row
from schema.permissions import can_write
from schema.services import node_pk, run_service

MANAGE = can_write(PIPELINE_RULES.entity)
WRITE_STAGE = can_write(STAGE_RULES.entity)
WRITE_LOST_REASON = can_write(LOST_REASON_RULES.entity)
WRITE_PRODUCT = can_write(PRODUCT_RULES.entity)
# The service names the line items `line_items` (and their sum `amount`); the argument is `items`.
_LINE_ITEM_FIELDS = {"line_items": "items", "amount": "items"}


@strawberry.type(description="The Pipeline as written, or the errors that stopped the write.")
class PipelinePayload:
    pipeline: Pipeline | None
    errors: list[UserError]


def _pipeline_payload(result: models.Pipeline | list[UserError]) -> PipelinePayload:
    if isinstance(result, list):
        return PipelinePayload(pipeline=None, errors=result)
    return PipelinePayload(pipeline=Pipeline.from_row(result), errors=[])


@strawberry.type(description="The Stage as written, or the errors that stopped the write.")
class StagePayload:
    stage: Stage | None
    errors: list[UserError]


def _stage_payload(result: models.Stage | list[UserError]) -> StagePayload:
    if isinstance(result, list):
        return StagePayload(stage=None, errors=result)
    return StagePayload(stage=Stage.from_row(result), errors=[])


@strawberry.type(description="The LostReason as written, or the errors that stopped the write.")
class LostReasonPayload:
    lost_reason: LostReason | None
    errors: list[UserError]


def _lost_reason_payload(result: models.LostReason | list[UserError]) -> LostReasonPayload:
    if isinstance(result, list):
        return LostReasonPayload(lost_reason=None, errors=result)
    return LostReasonPayload(lost_reason=LostReason.from_row(result), errors=[])


@strawberry.type(description="The Product as written, or the errors that stopped the write.")
class ProductPayload:
    product: Product | None
    errors: list[UserError]


def _product_payload(result: models.Product | list[UserError]) -> ProductPayload:
    if isinstance(result, list):
        return ProductPayload(product=None, errors=result)
    return ProductPayload(product=Product.from_row(result), errors=[])


@strawberry.type(description="The lost reasons in their new order, or why not.")
class LostReasonsPayload:
    lost_reasons: list[LostReason]
    errors: list[UserError]


@strawberry.type(description="The exchange rate as written, or why not.")
class ExchangeRatePayload:
    exchange_rate: ExchangeRate | None
    errors: list[UserError]


@strawberry.type
class SalesMutation:
    @strawberry.mutation(description="Create a Pipeline.", permission_classes=MANAGE)
    async def create_pipeline(self, info: Info, input: CreatePipelineInput) -> PipelinePayload:
        return _pipeline_payload(await create_row(info, PIPELINE_RULES, input))

    @strawberry.mutation(
        description="Change the given fields of a Pipeline. With `expectedVersion`, refuse with "
        "CONFLICT if it was changed meanwhile.",
        permission_classes=MANAGE,
    )
    async def update_pipeline(
        self,
        info: Info,
        id: strawberry.ID,
        input: UpdatePipelineInput,
        expected_version: int | None = None,
    ) -> PipelinePayload:
        return _pipeline_payload(
            await update_row(info, PIPELINE_RULES, "Pipeline", id, input, expected_version)
        )

    @strawberry.mutation(description="Create a Stage.", permission_classes=WRITE_STAGE)
    async def create_stage(self, info: Info, input: CreateStageInput) -> StagePayload:
        return _stage_payload(await create_row(info, STAGE_RULES, input))

    @strawberry.mutation(
        description="Change the given fields of a Stage. With `expectedVersion`, refuse with "
        "CONFLICT if it was changed meanwhile.",
        permission_classes=WRITE_STAGE,
    )
    async def update_stage(
        self,
        info: Info,
        id: strawberry.ID,
        input: UpdateStageInput,
        expected_version: int | None = None,
    ) -> StagePayload:
        return _stage_payload(
            await update_row(info, STAGE_RULES, "Stage", id, input, expected_version)
        )

    @strawberry.mutation(description="Create a LostReason.", permission_classes=WRITE_LOST_REASON)
    async def create_lost_reason(
        self, info: Info, input: CreateLostReasonInput
    ) -> LostReasonPayload:
        return _lost_reason_payload(await create_row(info, LOST_REASON_RULES, input))

    @strawberry.mutation(
        description="Change the given fields of a LostReason. With `expectedVersion`, refuse with "
        "CONFLICT if it was changed meanwhile.",
        permission_classes=WRITE_LOST_REASON,
    )
    async def update_lost_reason(
        self,
        info: Info,
        id: strawberry.ID,
        input: UpdateLostReasonInput,
        expected_version: int | None = None,
    ) -> LostReasonPayload:
        return _lost_reason_payload(
            await update_row(info, LOST_REASON_RULES, "LostReason", id, input, expected_version)
        )

    @strawberry.mutation(description="Create a Product.", permission_classes=WRITE_PRODUCT)
    async def create_product(self, info: Info, input: CreateProductInput) -> ProductPayload:
        return _product_payload(await create_row(info, PRODUCT_RULES, input))

    @strawberry.mutation(
        description="Change the given fields of a Product. With `expectedVersion`, refuse with "
        "CONFLICT if it was changed meanwhile.",
        permission_classes=WRITE_PRODUCT,
    )
    async def update_product(
        self,
        info: Info,
        id: strawberry.ID,
        input: UpdateProductInput,
        expected_version: int | None = None,
    ) -> ProductPayload:
        return _product_payload(
            await update_row(info, PRODUCT_RULES, "Product", id, input, expected_version)
        )

    @strawberry.mutation(
        description="Move a Product to the trash (restorable).", permission_classes=WRITE_PRODUCT
    )
    async def delete_product(
        self, info: Info, id: strawberry.ID, expected_version: int | None = None
    ) -> ProductPayload:
        return _product_payload(
            await set_row_deleted(info, PRODUCT_RULES, "Product", id, True, expected_version)
        )

    @strawberry.mutation(
        description="Bring a Product back from the trash.", permission_classes=WRITE_PRODUCT
    )
    async def restore_product(self, info: Info, id: strawberry.ID) -> ProductPayload:
        return _product_payload(await set_row_deleted(info, PRODUCT_RULES, "Product", id, False))

    @strawberry.mutation(
        description="Order a pipeline's stages: `stageIds` lists each of them (retired ones "
        "too) once.",
        permission_classes=MANAGE,
    )
    async def reorder_stages(
        self, info: Info, pipeline_id: strawberry.ID, stage_ids: list[strawberry.ID]
    ) -> PipelinePayload:
        def action(session: AsyncSession, principal: Principal) -> Awaitable[models.Pipeline]:
            pk = node_pk(pipeline_id, "Pipeline", "pipeline_id")
            ids = [node_pk(i, "Stage", "stage_ids", str(n)) for n, i in enumerate(stage_ids)]
            return pipelines.reorder_stages(session, principal, pk, ids)

        return _pipeline_payload(await run_service(info, action, at=()))

    @strawberry.mutation(
        description="Retire a stage: it takes no new deals; the deals in it and its history stay.",
        permission_classes=MANAGE,
    )
    async def retire_stage(self, info: Info, id: strawberry.ID) -> StagePayload:
        return _stage_payload(await _set_retired(info, id, True))

    @strawberry.mutation(description="Bring a retired stage back.", permission_classes=MANAGE)
    async def restore_stage(self, info: Info, id: strawberry.ID) -> StagePayload:
        return _stage_payload(await _set_retired(info, id, False))

    @strawberry.mutation(
        description="Set a product's list price in one currency.", permission_classes=MANAGE
    )
    async def set_product_price(
        self, info: Info, product_id: strawberry.ID, currency: str, unit_price: Decimal
    ) -> ProductPayload:
        data = {"currency": currency, "unit_price": unit_price}
        result = await run_service(
            info,
            lambda s, p: products.set_product_price(
                s, p, node_pk(product_id, "Product", "product_id"), data
            ),
            at=(),
        )
        return _product_payload(result)

    @strawberry.mutation(
        description="Remove a product's price in one currency.", permission_classes=MANAGE
    )
    async def remove_product_price(
        self, info: Info, product_id: strawberry.ID, currency: str
    ) -> ProductPayload:
        result = await run_service(
            info,
            lambda s, p: products.remove_product_price(
                s, p, node_pk(product_id, "Product", "product_id"), currency
            ),
            at=(),
        )
        return _product_payload(result)

    @strawberry.mutation(
        description="Replace a deal's line items. While it has any, its amount is their sum and "
        "its currency is fixed; an empty list removes them.",
        permission_classes=WRITE_DEAL,
    )
    async def set_deal_line_items(
        self, info: Info, deal_id: strawberry.ID, items: list[DealLineItemInput]
    ) -> DealPayload:
        async def action(session: AsyncSession, principal: Principal) -> models.Deal:
            pk = node_pk(deal_id, "Deal", "deal_id")
            try:
                return await set_deal_line_items(session, principal, pk, to_values(items))
            except ServiceError as exc:
                raise ServiceError([_line_item_error(e) for e in exc.errors]) from exc

        return deal_payload(await run_service(info, action, at=()))

    @strawberry.mutation(
        description="Order the lost reasons: `ids` lists each of them (inactive ones too) once.",
        permission_classes=MANAGE,
    )
    async def reorder_lost_reasons(
        self, info: Info, ids: list[strawberry.ID]
    ) -> LostReasonsPayload:
        async def action(
            session: AsyncSession, principal: Principal
        ) -> tuple[models.LostReason, ...]:
            pks = [node_pk(i, "LostReason", "ids", str(n)) for n, i in enumerate(ids)]
            # A tuple, told apart from the list of errors of a refusal.
            return tuple(await reorder_lost_reasons(session, principal, pks))

        result = await run_service(info, action, at=())
        if isinstance(result, list):
            return LostReasonsPayload(lost_reasons=[], errors=result)
        return LostReasonsPayload(lost_reasons=[LostReason.from_row(r) for r in result], errors=[])

    @strawberry.mutation(
        description="Set the rate of a currency pair on a date (replacing that date's rate); "
        "its source is who sets it.",
        permission_classes=can_write("exchange_rate"),
    )
    async def set_exchange_rate(
        self, info: Info, currency: str, to_currency: str, rate_date: date, rate: Decimal
    ) -> ExchangeRatePayload:
        data = {"currency": currency, "to_currency": to_currency, "rate_date": rate_date}
        result = await run_service(
            info, lambda s, p: rates.set_exchange_rate(s, p, {**data, "rate": rate}), at=()
        )
        if isinstance(result, list):
            return ExchangeRatePayload(exchange_rate=None, errors=result)
        return ExchangeRatePayload(exchange_rate=ExchangeRate.from_row(result), errors=[])


async def _set_retired(
    info: Info, stage_id: strawberry.ID, retired: bool
) -> models.Stage | list[UserError]:
    return await run_service(
        info,
        lambda s, p: pipelines.set_stage_retired(s, p, node_pk(stage_id, "Stage"), retired),
        at=(),
    )


def _line_item_error(error: ServiceUserError) -> ServiceUserError:
    if not error.field or error.field[0] not in _LINE_ITEM_FIELDS:
        return error
    field = (_LINE_ITEM_FIELDS[error.field[0]], *error.field[1:])
    return ServiceUserError(error.code, error.message, field)
