"""Deals through a pipeline: stage consistency, closing, and the stage-change history."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import (
    Campaign,
    Contact,
    Customer,
    Deal,
    DealStageChange,
    Pipeline,
    Stage,
    StageKind,
    User,
    utcnow,
)
from resolvers.crud import EntityRules
from resolvers.errors import ErrorCode, ServiceError
from resolvers.events import record_event
from resolvers.inputs import Currency, ExternalId, InputModel, Money, Name, partial
from resolvers.principal import Principal
from resolvers.tables import table_of


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
    external_id: ExternalId | None = None


async def _first_stage(session: AsyncSession, pipeline_id: uuid.UUID | None) -> Stage:
    stages, pipelines = table_of(Stage), table_of(Pipeline)
    statement = select(Stage).join(pipelines, pipelines.c.id == stages.c.pipeline_id)
    if pipeline_id is None:
        statement = statement.where(pipelines.c.is_default.is_(True))
    else:
        statement = statement.where(stages.c.pipeline_id == pipeline_id)
    stage: Stage | None = await session.scalar(statement.order_by(stages.c.position).limit(1))
    if stage is None:
        raise ServiceError.single(
            ErrorCode.INVALID_STATE, "the pipeline has no stages", "pipeline_id"
        )
    return stage


async def _place_in_pipeline(
    session: AsyncSession, principal: Principal, row: Any, changes: dict[str, Any], _: Any
) -> None:
    """Keep stage and pipeline consistent, and close or reopen the deal with its stage."""
    if "stage_id" in changes and changes["stage_id"] is not None:
        stage = await session.get(Stage, changes["stage_id"])
        assert stage is not None  # references were checked
        pipeline_id = changes.get("pipeline_id") or stage.pipeline_id
        if stage.pipeline_id != pipeline_id:
            raise ServiceError.single(
                ErrorCode.VALIDATION, "the stage belongs to another pipeline", "stage_id"
            )
        changes["pipeline_id"] = pipeline_id
    elif row.stage_id is None or changes.get("pipeline_id") not in (None, row.pipeline_id):
        stage = await _first_stage(session, changes.get("pipeline_id"))
        changes["stage_id"], changes["pipeline_id"] = stage.id, stage.pipeline_id
    else:
        return
    if stage.kind == StageKind.OPEN:
        changes["closed_at"] = None
    elif row.closed_at is None:
        changes["closed_at"] = utcnow()


async def _record_stage_change(
    session: AsyncSession,
    principal: Principal,
    row: Any,
    changes: dict[str, Any],
    previous: dict[str, Any] | None,
) -> None:
    from_stage = (previous or {}).get("stage_id")
    if "stage_id" not in changes or from_stage == row.stage_id:
        return
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
    if previous is None:
        return  # a new deal: `deal.created` says where it starts
    stage = await session.get(Stage, row.stage_id)
    assert stage is not None
    data = {"deal_id": str(row.id), "from_stage_id": str(from_stage), "to_stage_id": str(stage.id)}
    events = ["deal.stage_changed"]
    if stage.kind != StageKind.OPEN:
        events.append(f"deal.{StageKind(stage.kind).value}")
    for event_type in events:
        record_event(session, principal, event_type, "deal", row.id, row.version, data)


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
    },
    before_write=_place_in_pipeline,
    after_write=_record_stage_change,
)
