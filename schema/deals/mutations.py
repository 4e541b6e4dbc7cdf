"""Writing deals: create, update, trash, restore and batch upsert by `externalId`."""

from __future__ import annotations

import strawberry

import models
from resolvers.deals.service import DEAL_RULES
from schema.context import Info
from schema.deals.inputs import CreateDealInput, UpdateDealInput
from schema.deals.types import Deal
from schema.errors import UserError
from schema.mutations import MAX_BATCH, create_row, set_row_deleted, update_row, upsert_rows
from schema.permissions import can_write

WRITE_DEAL = can_write(DEAL_RULES.entity)


@strawberry.type(description="The Deal as written, or the errors that stopped the write.")
class DealPayload:
    deal: Deal | None
    errors: list[UserError]


@strawberry.type(description="One record of a batch upsert: the Deal written, or why it was not.")
class DealUpsertResult:
    index: int
    created: bool
    deal: Deal | None
    errors: list[UserError]


def deal_payload(result: models.Deal | list[UserError]) -> DealPayload:
    if isinstance(result, list):
        return DealPayload(deal=None, errors=result)
    return DealPayload(deal=Deal.from_row(result), errors=[])


@strawberry.type
class DealMutation:
    @strawberry.mutation(description="Create a Deal.", permission_classes=WRITE_DEAL)
    async def create_deal(self, info: Info, input: CreateDealInput) -> DealPayload:
        return deal_payload(await create_row(info, DEAL_RULES, input))

    @strawberry.mutation(
        description="Change the given fields of a Deal. With `expectedVersion`, refuse with "
        "CONFLICT if it was changed meanwhile.",
        permission_classes=WRITE_DEAL,
    )
    async def update_deal(
        self,
        info: Info,
        id: strawberry.ID,
        input: UpdateDealInput,
        expected_version: int | None = None,
    ) -> DealPayload:
        return deal_payload(await update_row(info, DEAL_RULES, "Deal", id, input, expected_version))

    @strawberry.mutation(
        description="Move a Deal to the trash (restorable).", permission_classes=WRITE_DEAL
    )
    async def delete_deal(
        self, info: Info, id: strawberry.ID, expected_version: int | None = None
    ) -> DealPayload:
        return deal_payload(
            await set_row_deleted(info, DEAL_RULES, "Deal", id, True, expected_version)
        )

    @strawberry.mutation(
        description="Bring a Deal back from the trash.", permission_classes=WRITE_DEAL
    )
    async def restore_deal(self, info: Info, id: strawberry.ID) -> DealPayload:
        return deal_payload(await set_row_deleted(info, DEAL_RULES, "Deal", id, False))

    @strawberry.mutation(
        description=f"Create or update up to {MAX_BATCH} Deals by `externalId`. Each record "
        "succeeds or fails on its own; a failed record changes nothing.",
        permission_classes=WRITE_DEAL,
    )
    async def upsert_deals(
        self, info: Info, inputs: list[CreateDealInput]
    ) -> list[DealUpsertResult]:
        return [
            DealUpsertResult(
                index=outcome.index,
                created=outcome.created,
                deal=Deal.from_optional(outcome.row),
                errors=outcome.errors,
            )
            for outcome in await upsert_rows(info, DEAL_RULES, inputs)
        ]
