"""Managing pipelines, stages, lost reasons, products and exchange rates (sales:manage), and
a deal's line items (deals:write)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.errors import ErrorCode, InvalidArgumentError, ServiceError
from kernel.errors import UserError as ServiceUserError
from kernel.principal import Principal
from kernel.unit_of_work import unit_of_work
from resolvers.deals import pipelines, products, rates
from resolvers.deals.lost_reasons import LOST_REASON_RULES, reorder_lost_reasons
from resolvers.deals.pipelines import PIPELINE_RULES, STAGE_RULES
from resolvers.deals.products import PRODUCT_RULES
from resolvers.deals.service import set_deal_line_items
from schema.context import Info
from schema.deals.catalog import ExchangeRate, LostReason, Product
from schema.deals.types import Deal, ForecastCategory, Pipeline, Stage, StageKind
from schema.errors import UserError, camel, user_errors
from schema.ids import decode_id_of
from schema.inputs import UNSET, to_values
from schema.mutations import entity_mutations
from schema.node import Node
from schema.permissions import can_write

Action = Callable[[AsyncSession, Principal], Awaitable[Any]]
MANAGE = can_write("pipeline")


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


@strawberry.type(description="The lost reasons in their new order, or why not.")
class LostReasonsPayload:
    lost_reasons: list[LostReason]
    errors: list[UserError]


@strawberry.type(description="The exchange rate as written, or why not.")
class ExchangeRatePayload:
    exchange_rate: ExchangeRate | None
    errors: list[UserError]


def _id(global_id: str, type_name: str, *path: str) -> Any:
    try:
        return decode_id_of(global_id, type_name, path[0])
    except InvalidArgumentError as exc:
        raise ServiceError.single(ErrorCode.NOT_FOUND, str(exc), *path) from exc


@dataclass(frozen=True)
class Refused:
    errors: list[UserError]


async def _apply(info: Info, action: Action, rename: dict[str, str] | None = None) -> Any:
    """The action's result, or why it was refused, with error paths in argument names."""
    try:
        async with unit_of_work(info.context.session_factory) as session:
            return await action(session, info.context.principal)
    except ServiceError as exc:
        errors = [_renamed(error, rename or {}) for error in exc.errors]
        return Refused(user_errors(errors, ()))
    except InvalidArgumentError as exc:
        error = UserError(code=ErrorCode.VALIDATION, message=str(exc), field=[camel(exc.argument)])
        return Refused([error])


def _renamed(error: ServiceUserError, rename: dict[str, str]) -> ServiceUserError:
    if not error.field or error.field[0] not in rename:
        return error
    return ServiceUserError(error.code, error.message, (rename[error.field[0]], *error.field[1:]))


def _payload_of(payload: Any, node: type[Node]) -> Callable[[Any], Any]:
    name = node.type_name()
    field = name[0].lower() + name[1:]

    def build(result: Any) -> Any:
        if isinstance(result, Refused):
            return payload(**{field: None, "errors": result.errors})
        return payload(**{field: node.from_row(result), "errors": []})

    return build


def _mutation(resolver: Any, payload: Any, description: str, allowed: Any = MANAGE) -> Any:
    resolver.__annotations__["return"] = payload
    return strawberry.mutation(
        resolver=resolver, description=description, permission_classes=allowed
    )


def sales_mutations(update_deal: Any) -> dict[str, Any]:
    """The sales mutations with entity payloads; setDealLineItems answers like ``update_deal``."""
    deal_payload = update_deal.type
    fields: dict[str, Any] = {}
    for rules, node, create, update in (
        (PIPELINE_RULES, Pipeline, CreatePipelineInput, UpdatePipelineInput),
        (STAGE_RULES, Stage, CreateStageInput, UpdateStageInput),
        (LOST_REASON_RULES, LostReason, CreateLostReasonInput, UpdateLostReasonInput),
        (PRODUCT_RULES, Product, CreateProductInput, UpdateProductInput),
    ):
        fields.update(entity_mutations(rules, node, create, update))
    pipeline_payload = fields["update_pipeline"].type
    stage_payload = fields["update_stage"].type
    product_payload = fields["update_product"].type
    as_pipeline = _payload_of(pipeline_payload, Pipeline)
    as_stage = _payload_of(stage_payload, Stage)
    as_product = _payload_of(product_payload, Product)
    as_deal = _payload_of(deal_payload, Deal)

    async def reorder_stages(
        info: Info, pipeline_id: strawberry.ID, stage_ids: list[strawberry.ID]
    ) -> Any:
        def action(session: AsyncSession, principal: Principal) -> Awaitable[Any]:
            pk = _id(pipeline_id, "Pipeline", "pipeline_id")
            ids = [_id(i, "Stage", "stage_ids", str(n)) for n, i in enumerate(stage_ids)]
            return pipelines.reorder_stages(session, principal, pk, ids)

        return as_pipeline(await _apply(info, action))

    async def retire_stage(info: Info, id: strawberry.ID) -> Any:
        return as_stage(await _set_retired(info, id, True))

    async def restore_stage(info: Info, id: strawberry.ID) -> Any:
        return as_stage(await _set_retired(info, id, False))

    async def set_product_price(
        info: Info, product_id: strawberry.ID, currency: str, unit_price: Decimal
    ) -> Any:
        data = {"currency": currency, "unit_price": unit_price}
        return as_product(
            await _apply(
                info,
                lambda s, p: products.set_product_price(
                    s, p, _id(product_id, "Product", "product_id"), data
                ),
            )
        )

    async def remove_product_price(info: Info, product_id: strawberry.ID, currency: str) -> Any:
        return as_product(
            await _apply(
                info,
                lambda s, p: products.remove_product_price(
                    s, p, _id(product_id, "Product", "product_id"), currency
                ),
            )
        )

    async def set_deal_line_items_(
        info: Info, deal_id: strawberry.ID, items: list[DealLineItemInput]
    ) -> Any:
        def action(session: AsyncSession, principal: Principal) -> Awaitable[Any]:
            pk = _id(deal_id, "Deal", "deal_id")
            return set_deal_line_items(session, principal, pk, to_values(items))

        return as_deal(await _apply(info, action, {"line_items": "items", "amount": "items"}))

    return fields | {
        "reorder_stages": _mutation(
            reorder_stages,
            pipeline_payload,
            "Order a pipeline's stages: `stageIds` lists each of them (retired ones too) once.",
        ),
        "retire_stage": _mutation(
            retire_stage,
            stage_payload,
            "Retire a stage: it takes no new deals; the deals in it and its history stay.",
        ),
        "restore_stage": _mutation(restore_stage, stage_payload, "Bring a retired stage back."),
        "set_product_price": _mutation(
            set_product_price, product_payload, "Set a product's list price in one currency."
        ),
        "remove_product_price": _mutation(
            remove_product_price, product_payload, "Remove a product's price in one currency."
        ),
        "set_deal_line_items": _mutation(
            set_deal_line_items_,
            deal_payload,
            "Replace a deal's line items. While it has any, its amount is their sum and its "
            "currency is fixed; an empty list removes them.",
            can_write("deal"),
        ),
    }


async def _set_retired(info: Info, stage_id: str, retired: bool) -> Any:
    return await _apply(
        info,
        lambda s, p: pipelines.set_stage_retired(s, p, _id(stage_id, "Stage", "id"), retired),
    )


@strawberry.type
class SalesMutation:
    @strawberry.mutation(
        description="Order the lost reasons: `ids` lists each of them (inactive ones too) once.",
        permission_classes=MANAGE,
    )
    async def reorder_lost_reasons(
        self, info: Info, ids: list[strawberry.ID]
    ) -> LostReasonsPayload:
        def action(session: AsyncSession, principal: Principal) -> Awaitable[Any]:
            pks = [_id(i, "LostReason", "ids", str(n)) for n, i in enumerate(ids)]
            return reorder_lost_reasons(session, principal, pks)

        result = await _apply(info, action)
        if isinstance(result, Refused):
            return LostReasonsPayload(lost_reasons=[], errors=result.errors)
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
        result = await _apply(
            info, lambda s, p: rates.set_exchange_rate(s, p, {**data, "rate": rate})
        )
        if isinstance(result, Refused):
            return ExchangeRatePayload(exchange_rate=None, errors=result.errors)
        return ExchangeRatePayload(exchange_rate=ExchangeRate.from_row(result), errors=[])
