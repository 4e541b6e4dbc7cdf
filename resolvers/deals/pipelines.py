"""Pipelines and their ordered stages: created together, reordered, retired and restored."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Any

from pydantic import Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.crud import Change, EntityRules, create_entity, get_row, update_entity
from kernel.errors import ErrorCode, ServiceError
from kernel.inputs import InputModel, Name
from kernel.principal import Principal
from kernel.tables import table_of
from models import Deal, ForecastCategory, Pipeline, Stage, StageKind, utcnow
from resolvers.deals.fields import NotNull, Percent, StageName
from resolvers.deals.lookup import row_for_argument
from resolvers.deals.positions import next_position, reorder
from resolvers.deals.service import derive_stage_history

pipelines = table_of(Pipeline)
stages = table_of(Stage)
deals = table_of(Deal)

# Where a stage's deals count in the forecast unless it says otherwise.
DEFAULT_FORECAST = {
    StageKind.OPEN: ForecastCategory.PIPELINE,
    StageKind.WON: ForecastCategory.CLOSED,
    StageKind.LOST: ForecastCategory.OMITTED,
}


class StageCreate(InputModel):
    pipeline_id: uuid.UUID
    name: StageName
    probability: Percent = 0
    kind: StageKind = StageKind.OPEN
    forecast_category: ForecastCategory | None = None


class StageUpdate(InputModel):
    name: Annotated[StageName | None, NotNull] = None
    probability: Annotated[Percent | None, NotNull] = None
    kind: Annotated[StageKind | None, NotNull] = None
    forecast_category: Annotated[ForecastCategory | None, NotNull] = None


class StagePlacement(InputModel):
    """What only this module changes: order and retirement."""

    position: int | None = None
    retired_at: datetime | None = None


class PipelineStage(InputModel):
    name: StageName
    probability: Percent = 0
    kind: StageKind = StageKind.OPEN
    forecast_category: ForecastCategory | None = None


class PipelineCreate(InputModel):
    name: Name
    is_default: bool = False
    stages: Annotated[list[PipelineStage], Field(min_length=1, max_length=50)]


class PipelineUpdate(InputModel):
    name: Annotated[Name | None, NotNull] = None
    is_default: Annotated[bool | None, NotNull] = None


def _check_forecast(kind: StageKind, category: ForecastCategory) -> None:
    closed = category == ForecastCategory.CLOSED
    if (kind == StageKind.OPEN and closed) or (
        kind != StageKind.OPEN and category != DEFAULT_FORECAST[kind]
    ):
        raise ServiceError.single(
            ErrorCode.VALIDATION,
            f"a {kind.value} stage cannot count as {category.value}",
            "forecast_category",
        )


async def _check_stage(session: AsyncSession, principal: Principal, change: Change[Stage]) -> None:
    """Append new stages; keep kind and forecast category consistent."""
    row, values = change.row, change.values
    if change.created:
        values["position"] = await next_position(
            session, STAGE_RULES, stages.c.pipeline_id == values["pipeline_id"]
        )
    elif "kind" in values:
        holding = await session.scalar(select(deals.c.id).where(deals.c.stage_id == row.id))
        if holding is not None:
            raise ServiceError.single(
                ErrorCode.INVALID_STATE,
                "deals are in this stage: move them before changing its kind",
                "kind",
            )
    kind = StageKind(values.get("kind") or row.kind)
    if values.get("forecast_category") is None and (change.created or "kind" in values):
        values["forecast_category"] = DEFAULT_FORECAST[kind]
    _check_forecast(kind, ForecastCategory(change.get("forecast_category")))


async def _rederive_on_kind_change(
    session: AsyncSession, principal: Principal, change: Change[Stage]
) -> None:
    """A stage that becomes (or stops being) lost changes how far its deals went."""
    if not change.created and change.changed("kind"):
        await session.execute(derive_stage_history(pipeline_id=change.row.pipeline_id))


STAGE_RULES = EntityRules(
    model=Stage,
    entity="stage",
    create_input=StageCreate,
    update_input=StageUpdate,
    references={"pipeline_id": Pipeline},
    unique=(("pipeline_id", "name"),),
    before_write=_check_stage,
    after_write=_rederive_on_kind_change,
)
# Reordering re-derives the history once, after all the moves.
_STAGE_PLACEMENT = dataclasses.replace(
    STAGE_RULES, update_input=StagePlacement, before_write=None, after_write=None
)


async def _keep_one_default(
    session: AsyncSession, principal: Principal, change: Change[Pipeline]
) -> None:
    """Exactly one pipeline is the default: the first one, then the one last made default."""
    values = change.values
    if "is_default" not in values:
        if change.created:
            found = await session.scalar(select(pipelines.c.id).where(pipelines.c.is_default))
            values["is_default"] = found is None
        return
    if not values["is_default"]:
        if change.was("is_default"):
            raise ServiceError.single(
                ErrorCode.INVALID_STATE,
                "make another pipeline the default instead",
                "is_default",
            )
        return
    others = await session.scalars(
        select(pipelines.c.id).where(pipelines.c.is_default, pipelines.c.id != change.row.id)
    )
    for other in others.all():
        await update_entity(session, principal, _PIPELINE_DEFAULT, other, {"is_default": False})


async def _create_stages(
    session: AsyncSession, principal: Principal, change: Change[Pipeline]
) -> None:
    if not change.created or "stages" not in change.values:
        return
    for index, stage in enumerate(change.values["stages"]):
        data = {"pipeline_id": change.row.id, **stage.model_dump(exclude_unset=True)}
        try:
            await create_entity(session, principal, STAGE_RULES, data)
        except ServiceError as exc:
            raise ServiceError(
                [
                    dataclasses.replace(error, field=("stages", str(index), *error.field))
                    for error in exc.errors
                ]
            ) from exc


PIPELINE_RULES = EntityRules(
    model=Pipeline,
    entity="pipeline",
    create_input=PipelineCreate,
    update_input=PipelineUpdate,
    unique=("name",),
    before_write=_keep_one_default,
    after_write=_create_stages,
)
_PIPELINE_DEFAULT = dataclasses.replace(PIPELINE_RULES, before_write=None)


async def reorder_stages(
    session: AsyncSession, principal: Principal, pipeline_id: uuid.UUID, stage_ids: Sequence[Any]
) -> Pipeline:
    """Put a pipeline's stages (retired ones included) in the given order."""
    pipeline = await row_for_argument(
        session, principal, PIPELINE_RULES, pipeline_id, "pipeline_id"
    )
    current = await session.scalars(select(stages.c.id).where(stages.c.pipeline_id == pipeline.id))
    await reorder(session, principal, _STAGE_PLACEMENT, current.all(), stage_ids, "stage_ids")
    # How far deals went is kept in positions: the pipeline's history follows the new order.
    await session.execute(derive_stage_history(pipeline_id=pipeline.id))
    return pipeline


async def set_stage_retired(
    session: AsyncSession, principal: Principal, stage_id: uuid.UUID, retired: bool
) -> Stage:
    """Retire a stage (it takes no new deals; its deals and history stay) or restore it."""
    stage = await get_row(session, principal, STAGE_RULES, stage_id)
    if (stage.retired_at is not None) == retired:
        state = "retired" if retired else "not retired"
        raise ServiceError.single(ErrorCode.INVALID_STATE, f"the stage is {state}", "id")
    if retired:
        active = await session.scalar(
            select(stages.c.id).where(
                stages.c.pipeline_id == stage.pipeline_id,
                stages.c.id != stage.id,
                stages.c.kind == StageKind.OPEN,
                stages.c.retired_at.is_(None),
            )
        )
        if active is None:
            raise ServiceError.single(
                ErrorCode.INVALID_STATE, "a pipeline keeps at least one open stage", "id"
            )
    change = {"retired_at": utcnow() if retired else None}
    return await update_entity(session, principal, _STAGE_PLACEMENT, stage_id, change)
