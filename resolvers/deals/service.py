"""Deals through a pipeline: stage consistency, closing, losing, reopening, the stage-change
history, and the amount their line items make."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import date
from typing import Any

from sqlalchemy import Update, case, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.crud import Change, EntityRules, update_entity
from kernel.errors import ErrorCode, ServiceError
from kernel.inputs import Currency, ExternalId, InputModel, Money, Name, partial
from kernel.outbox import record_event
from kernel.principal import Principal
from kernel.tables import table_of
from models import (
    Campaign,
    Contact,
    Customer,
    Deal,
    DealStageChange,
    LostReason,
    Pipeline,
    Stage,
    StageKind,
    User,
    utcnow,
)
from resolvers.deals.line_items import (
    LineItems,
    price_line_items,
    refuse_changes_derived_from_items,
    write_line_items,
)
from resolvers.deals.lookup import row_for_argument


class DealCreate(InputModel):
    name: Name
    customer_id: uuid.UUID
    contact_id: uuid.UUID | None = None
    pipeline_id: uuid.UUID | None = None
    stage_id: uuid.UUID | None = None
    owner_id: uuid.UUID | None = None
    campaign_id: uuid.UUID | None = None
    amount: Money
    currency: Currency
    expected_close_date: date | None = None
    lost_reason_id: uuid.UUID | None = None
    line_items: LineItems = []
    external_id: ExternalId | None = None


async def _first_stage(session: AsyncSession, pipeline_id: uuid.UUID | None) -> Stage:
    stages, pipelines = table_of(Stage), table_of(Pipeline)
    statement = select(Stage).join(pipelines, pipelines.c.id == stages.c.pipeline_id)
    if pipeline_id is None:
        statement = statement.where(pipelines.c.is_default.is_(True))
    else:
        statement = statement.where(stages.c.pipeline_id == pipeline_id)
    statement = statement.where(stages.c.retired_at.is_(None))
    stage: Stage | None = await session.scalar(statement.order_by(stages.c.position).limit(1))
    if stage is None:
        raise ServiceError.single(
            ErrorCode.INVALID_STATE, "the pipeline has no stages", "pipeline_id"
        )
    return stage


async def _place_in_pipeline(session: AsyncSession, change: Change[Deal]) -> Stage | None:
    """Keep stage and pipeline consistent, and close or reopen the deal with its stage.

    Returns the new stage, if the deal moves.
    """
    row, values = change.row, change.values
    if values.get("stage_id") is not None:
        stage = await session.get(Stage, values["stage_id"])
        assert stage is not None  # references were checked
        if stage.retired_at is not None:
            raise ServiceError.single(
                ErrorCode.INVALID_STATE, "the stage is retired: it takes no new deals", "stage_id"
            )
        pipeline_id = values.get("pipeline_id") or stage.pipeline_id
        if stage.pipeline_id != pipeline_id:
            raise ServiceError.single(
                ErrorCode.VALIDATION, "the stage belongs to another pipeline", "stage_id"
            )
        values["pipeline_id"] = pipeline_id
    elif row.stage_id is None or values.get("pipeline_id") not in (None, row.pipeline_id):
        stage = await _first_stage(session, values.get("pipeline_id"))
        values["stage_id"], values["pipeline_id"] = stage.id, stage.pipeline_id
    else:
        return None
    if stage.kind == StageKind.OPEN:
        values["closed_at"] = None
    elif row.closed_at is None:
        values["closed_at"] = utcnow()
    return stage


async def _check_lost_reason(
    session: AsyncSession, change: Change[Deal], moved_to: Stage | None
) -> None:
    """Lost deals, and only they, carry an active lost reason."""
    row, values = change.row, change.values
    stage = moved_to or await session.get(Stage, row.stage_id)
    assert stage is not None
    given = "lost_reason_id" in values
    reason_id = change.get("lost_reason_id")
    if stage.kind != StageKind.LOST:
        if given and reason_id is not None:
            raise ServiceError.single(
                ErrorCode.VALIDATION, "only lost deals have a lost reason", "lost_reason_id"
            )
        if row.lost_reason_id is not None:
            values["lost_reason_id"] = None
        return
    if reason_id is None:
        raise ServiceError.single(
            ErrorCode.VALIDATION, "a lost deal needs a lost reason", "lost_reason_id"
        )
    if given:
        reason = await session.get(LostReason, reason_id)
        if reason is not None and not reason.active:
            raise ServiceError.single(
                ErrorCode.VALIDATION, "the lost reason is inactive", "lost_reason_id"
            )


async def _check_deal(session: AsyncSession, principal: Principal, change: Change[Deal]) -> None:
    moved_to = await _place_in_pipeline(session, change)
    if moved_to is not None or "lost_reason_id" in change.values:
        await _check_lost_reason(session, change, moved_to)
    if "line_items" in change.values:
        await price_line_items(session, change)
    elif not change.created:
        await refuse_changes_derived_from_items(session, change)


async def _after_deal_write(
    session: AsyncSession, principal: Principal, change: Change[Deal]
) -> None:
    if "line_items" in change.values:
        await write_line_items(session, principal, change)
    await _record_stage_change(session, principal, change)


async def _record_stage_change(
    session: AsyncSession, principal: Principal, change: Change[Deal]
) -> None:
    if not change.changed("stage_id"):
        return
    row, from_stage = change.row, change.was("stage_id")
    session.add(
        DealStageChange(
            deal_id=row.id,
            from_stage_id=from_stage,
            to_stage_id=row.stage_id,
            changed_at=utcnow(),
            changed_by_id=principal.user_id,
            amount=row.amount,
            currency=row.currency,
        )
    )
    await session.flush()
    await session.execute(derive_stage_history([row.id]))
    if change.created:
        return  # a new deal: `deal.created` says where it starts
    stage = await session.get(Stage, row.stage_id)
    assert stage is not None
    data = {"deal_id": str(row.id), "from_stage_id": str(from_stage), "to_stage_id": str(stage.id)}
    events = ["deal.stage_changed"]
    if stage.kind != StageKind.OPEN:
        events.append(f"deal.{StageKind(stage.kind).value}")
    elif change.was("closed_at") is not None:
        events.append("deal.reopened")
    if stage.kind == StageKind.LOST:
        data["lost_reason_id"] = str(row.lost_reason_id)
    for event_type in events:
        record_event(session, principal, event_type, "deal", row.id, row.version, data)


def derive_stage_history(
    deal_ids: Collection[uuid.UUID] | None = None, pipeline_id: uuid.UUID | None = None
) -> Update:
    """Set the derived columns of the stage changes of ``deal_ids`` (or of the deals that were
    ever in a stage of ``pipeline_id``; all deals: neither) from
    their history, in (changed_at, id) order: ``left_at`` (the deal's next change), ``entry``
    (1 for the deal's first entry into that stage) and ``reached_position`` (the highest position
    of a non-lost stage of the same pipeline entered with this change or later)."""
    changes, stages = table_of(DealStageChange), table_of(Stage)
    order = (changes.c.changed_at, changes.c.id)
    derived = (
        select(
            changes.c.id,
            func.lead(changes.c.changed_at)
            .over(partition_by=changes.c.deal_id, order_by=order)
            .label("left_at"),
            func.row_number()
            .over(partition_by=(changes.c.deal_id, changes.c.to_stage_id), order_by=order)
            .label("entry"),
            func.max(case((stages.c.kind != StageKind.LOST.value, stages.c.position)))
            .over(
                partition_by=(changes.c.deal_id, stages.c.pipeline_id),
                order_by=order,
                rows=(0, None),
            )
            .label("reached_position"),
        )
        .select_from(changes.join(stages, stages.c.id == changes.c.to_stage_id))
        .where(*_history_of(deal_ids, pipeline_id))
        .subquery("derived")
    )
    return (
        update(changes)
        .where(changes.c.id == derived.c.id)
        .values(
            left_at=derived.c.left_at,
            entry=derived.c.entry,
            reached_position=derived.c.reached_position,
        )
    )


def _history_of(deal_ids: Collection[uuid.UUID] | None, pipeline_id: uuid.UUID | None) -> list[Any]:
    changes, stages = table_of(DealStageChange), table_of(Stage)
    conditions: list[Any] = []
    if deal_ids is not None:
        conditions.append(changes.c.deal_id.in_(deal_ids))
    if pipeline_id is not None:
        ever_there = (
            select(changes.c.deal_id)
            .join(stages, stages.c.id == changes.c.to_stage_id)
            .where(stages.c.pipeline_id == pipeline_id)
        )
        conditions.append(changes.c.deal_id.in_(ever_there))
    return conditions


DEAL_RULES = EntityRules(
    model=Deal,
    entity="deal",
    create_input=DealCreate,
    update_input=partial(DealCreate, "DealUpdate"),
    references={
        "customer_id": Customer,
        "contact_id": Contact,
        "pipeline_id": Pipeline,
        "stage_id": Stage,
        "owner_id": User,
        "campaign_id": Campaign,
        "lost_reason_id": LostReason,
    },
    before_write=_check_deal,
    after_write=_after_deal_write,
)


async def set_deal_line_items(
    session: AsyncSession, principal: Principal, deal_id: uuid.UUID, items: list[Any]
) -> Deal:
    """Replace a deal's line items; while it has any, its amount is their sum."""
    await row_for_argument(session, principal, DEAL_RULES, deal_id, "deal_id")
    return await update_entity(session, principal, DEAL_RULES, deal_id, {"line_items": items})
