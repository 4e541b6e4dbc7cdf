"""The managed list of reasons deals are lost, in the order pickers show them."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Annotated, Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.crud import Change, EntityRules
from kernel.inputs import InputModel, Name
from kernel.principal import Principal
from kernel.tables import table_of
from models import LostReason
from resolvers.deals.fields import NotNull
from resolvers.deals.positions import next_position, reorder

lost_reasons = table_of(LostReason)


class LostReasonCreate(InputModel):
    name: Name
    active: bool = True


class LostReasonUpdate(InputModel):
    name: Annotated[Name | None, NotNull] = None
    active: Annotated[bool | None, NotNull] = None


class LostReasonPlacement(InputModel):
    position: int


async def _append(session: AsyncSession, principal: Principal, change: Change[LostReason]) -> None:
    if change.created:
        change.values["position"] = await next_position(session, LOST_REASON_RULES)


LOST_REASON_RULES = EntityRules(
    model=LostReason,
    entity="lost_reason",
    create_input=LostReasonCreate,
    update_input=LostReasonUpdate,
    unique=("name",),
    before_write=_append,
)
_PLACEMENT = dataclasses.replace(
    LOST_REASON_RULES, update_input=LostReasonPlacement, before_write=None
)


async def reorder_lost_reasons(
    session: AsyncSession, principal: Principal, ordered_ids: Sequence[Any]
) -> list[LostReason]:
    """Put every lost reason (inactive ones included) in the given order."""
    current = (await session.scalars(select(lost_reasons.c.id))).all()
    await reorder(session, principal, _PLACEMENT, current, ordered_ids, "ids")
    rows = await session.scalars(select(LostReason).order_by(lost_reasons.c.position))
    return list(rows.all())
