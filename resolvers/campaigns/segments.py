"""Segments: saved contact or customer filters, evaluated on read (dynamic) or frozen into a
snapshot of their members (static)."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import ColumnElement, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.crud import EntityRules, create_entity, get_row, update_entity, validate_input
from kernel.errors import ErrorCode, ServiceError
from kernel.filtering import Filter, FilterSpec
from kernel.inputs import InputModel, Name
from kernel.principal import Principal
from kernel.repository import authorize_filter, visible_conditions
from kernel.tables import table_of
from models import Segment, SegmentKind, SegmentMember, User, utcnow
from resolvers.graph import SPECS

# Turns a segment's stored filter (the API's filter input, as given) into a service filter;
# raises VALIDATION errors at ("filter", ...) when it is not a valid filter of the entity type.
FilterReader = Callable[[str, Mapping[str, Any]], Filter | None]

segment_members = table_of(SegmentMember)
MAX_SNAPSHOT = 100_000


class SegmentCreate(InputModel):
    name: Name
    description: str | None = None
    entity_type: Literal["contact", "customer"]
    filter: dict[str, Any] = {}
    owner_id: uuid.UUID | None = None


class SegmentUpdate(InputModel):
    name: Name | None = None
    description: str | None = None
    filter: dict[str, Any] = {}
    owner_id: uuid.UUID | None = None


SEGMENT_RULES = EntityRules(
    model=Segment,
    entity="segment",
    create_input=SegmentCreate,
    update_input=SegmentUpdate,
    references={"owner_id": User},
    unique=("name",),
)


class _Kind(InputModel):
    kind: SegmentKind
    frozen_at: datetime | None


# Freezing and unfreezing write `kind` and `frozen_at`, which the API sets only through them.
_KIND_RULES = dataclasses.replace(SEGMENT_RULES, update_input=_Kind)


async def create_segment(
    session: AsyncSession, principal: Principal, data: Mapping[str, Any], read: FilterReader
) -> Segment:
    """A new dynamic segment, its filter checked against its entity type."""
    values = validate_input(SegmentCreate, data)
    entity_type = values["entity_type"]
    authorize_filter(SPECS[entity_type], read(entity_type, values.get("filter", {})), principal)
    return await create_entity(session, principal, SEGMENT_RULES, values)


async def update_segment(
    session: AsyncSession,
    principal: Principal,
    segment_id: uuid.UUID,
    data: Mapping[str, Any],
    read: FilterReader,
) -> Segment:
    """Rename, describe or refilter a segment (a static one keeps its snapshot)."""
    values = validate_input(SegmentUpdate, data)  # a filter is an object before it is read
    if "filter" in values:
        segment = await get_row(session, principal, SEGMENT_RULES, segment_id)
        filter_ = read(segment.entity_type, values["filter"])
        authorize_filter(spec_of(segment), filter_, principal)
    return await update_entity(session, principal, SEGMENT_RULES, segment_id, data)


def spec_of(segment: Segment) -> FilterSpec:
    return SPECS[segment.entity_type]


def member_conditions(
    segment: Segment, principal: Principal, read: FilterReader
) -> list[ColumnElement[bool]]:
    """WHERE clauses selecting the segment's records the principal may see."""
    spec = spec_of(segment)
    if segment.kind == SegmentKind.STATIC:
        snapshot = select(segment_members.c.entity_id).where(
            segment_members.c.segment_id == segment.id
        )
        return [*visible_conditions(spec, principal), spec.table.c.id.in_(snapshot)]
    return visible_conditions(spec, principal, read(segment.entity_type, segment.filter))


async def member_ids(
    session: AsyncSession, principal: Principal, segment: Segment, read: FilterReader
) -> list[uuid.UUID]:
    """Ids of the segment's records the principal may see."""
    spec = spec_of(segment)
    conditions = member_conditions(segment, principal, read)
    statement = select(spec.table.c.id).where(*conditions).limit(MAX_SNAPSHOT + 1)
    ids = list((await session.scalars(statement)).all())
    if len(ids) > MAX_SNAPSHOT:
        raise ServiceError.single(
            ErrorCode.LIMIT_EXCEEDED, f"a segment holds at most {MAX_SNAPSHOT} records", "id"
        )
    return ids


async def freeze_segment(
    session: AsyncSession, principal: Principal, segment_id: uuid.UUID, read: FilterReader
) -> Segment:
    """Snapshot the records the segment matches now; it stays static until unfrozen."""
    segment = await get_row(session, principal, SEGMENT_RULES, segment_id)
    if segment.kind == SegmentKind.STATIC:
        raise ServiceError.single(ErrorCode.INVALID_STATE, "the segment is already frozen", "id")
    ids = await member_ids(session, principal, segment, read)
    if ids:
        await session.execute(
            segment_members.insert(),
            [{"id": uuid.uuid4(), "segment_id": segment.id, "entity_id": id_} for id_ in ids],
        )
    changes = {"kind": SegmentKind.STATIC, "frozen_at": utcnow()}
    return await update_entity(session, principal, _KIND_RULES, segment_id, changes)


async def unfreeze_segment(
    session: AsyncSession, principal: Principal, segment_id: uuid.UUID
) -> Segment:
    """Drop the snapshot: the segment is evaluated on read again."""
    segment = await get_row(session, principal, SEGMENT_RULES, segment_id)
    if segment.kind == SegmentKind.DYNAMIC:
        raise ServiceError.single(ErrorCode.INVALID_STATE, "the segment is not frozen", "id")
    await session.execute(delete(segment_members).where(segment_members.c.segment_id == segment_id))
    changes = {"kind": SegmentKind.DYNAMIC, "frozen_at": None}
    return await update_entity(session, principal, _KIND_RULES, segment_id, changes)
