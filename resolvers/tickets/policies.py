"""SLA policies (service:manage): targets per priority, for a customer tier or the default.

At most one active policy per tier (and one active default, without a tier): creating or
activating a second is refused with DUPLICATE at `customer_tier`.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from pydantic import AfterValidator, Field, StringConstraints
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.crud import Change, EntityRules
from kernel.errors import ErrorCode, ServiceError
from kernel.inputs import InputModel, Name, partial
from kernel.principal import Principal
from kernel.tables import table_of
from models import BusinessCalendar, SlaPolicy, SlaTarget, TicketPriority

policies = table_of(SlaPolicy)
targets = table_of(SlaTarget)
RANK = {priority: rank for rank, priority in enumerate(TicketPriority)}

Minutes = Annotated[int, Field(gt=0, le=10 * 366 * 24 * 60)]
Tier = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)]


class TargetInput(InputModel):
    priority: TicketPriority
    first_response_minutes: Minutes | None = None
    resolution_minutes: Minutes | None = None


def _one_per_priority(items: list[TargetInput]) -> list[TargetInput]:
    if len({item.priority for item in items}) != len(items):
        raise ValueError("one target per priority")
    return sorted(items, key=lambda item: RANK[item.priority])


Targets = Annotated[list[TargetInput], AfterValidator(_one_per_priority)]


class PolicyCreate(InputModel):
    name: Name
    customer_tier: Tier | None = None
    calendar_id: uuid.UUID | None = None
    active: bool = True
    targets: Targets = []


async def _check_policy(
    session: AsyncSession, principal: Principal, change: Change[SlaPolicy]
) -> None:
    """One active policy per tier (and one active default)."""
    values = change.values
    active = values.get("active", True if change.created else change.row.active)
    if not active or (not change.created and not {"active", "customer_tier"} & values.keys()):
        return
    tier = change.get("customer_tier")
    same_tier = (
        policies.c.customer_tier.is_(None) if tier is None else policies.c.customer_tier == tier
    )
    clash = await session.scalar(
        select(policies.c.name).where(
            same_tier,
            policies.c.active.is_(True),
            policies.c.deleted_at.is_(None),
            policies.c.id != change.row.id,
        )
    )
    if clash is not None:
        what = f"tier {tier!r}" if tier is not None else "the default (no tier)"
        raise ServiceError.single(
            ErrorCode.DUPLICATE,
            f"the active policy {clash!r} already covers {what}; deactivate it first",
            "customer_tier",
        )


async def _write_targets(
    session: AsyncSession, principal: Principal, change: Change[SlaPolicy]
) -> None:
    if "targets" not in change.values:
        return
    policy_id = change.row.id
    await session.execute(delete(targets).where(targets.c.policy_id == policy_id))
    session.add_all(
        SlaTarget(
            policy_id=policy_id,
            priority=item.priority,
            first_response_minutes=item.first_response_minutes,
            resolution_minutes=item.resolution_minutes,
        )
        for item in change.values["targets"]
    )
    await session.flush()


async def _current_targets(session: AsyncSession, row: SlaPolicy) -> dict[str, Any]:
    stored = await session.execute(
        select(
            targets.c.priority, targets.c.first_response_minutes, targets.c.resolution_minutes
        ).where(targets.c.policy_id == row.id)
    )
    items = [TargetInput.model_validate(target._asdict()) for target in stored]
    return {"targets": sorted(items, key=lambda item: RANK[item.priority])}


POLICY_RULES = EntityRules(
    model=SlaPolicy,
    entity="sla_policy",
    create_input=PolicyCreate,
    update_input=partial(PolicyCreate, "PolicyUpdate"),
    references={"calendar_id": BusinessCalendar},
    unique=("name",),
    before_write=_check_policy,
    after_write=_write_targets,
    current_extras=_current_targets,
)
