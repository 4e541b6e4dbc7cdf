"""Adding contacts to a campaign in bulk: idempotent, and only those who consented to
marketing."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.crud import create_entity, get_row, set_deleted, update_entity
from kernel.errors import ErrorCode, ServiceError, UserError
from kernel.filtering import Filter
from kernel.principal import Principal
from kernel.repository import visible_conditions
from kernel.tables import table_of
from models import CampaignMember, CampaignStatus, MemberStatus
from resolvers.campaigns.segments import SEGMENT_RULES, FilterReader, member_ids
from resolvers.campaigns.service import (
    CAMPAIGN_MEMBER_RULES,
    CAMPAIGN_RULES,
    ExclusionReason,
    exclusion_reason,
)
from resolvers.graph import SPECS

MAX_ADD = 1000
members = table_of(CampaignMember)
contacts = SPECS["contact"].table
CLOSED = (CampaignStatus.COMPLETED, CampaignStatus.CANCELLED)


@dataclass(frozen=True)
class Exclusion:
    contact_id: uuid.UUID
    reason: ExclusionReason


@dataclass
class AddedMembers:
    """What adding contacts did: members written, contacts already in, contacts left out."""

    added: list[CampaignMember] = field(default_factory=list)
    already_members: list[uuid.UUID] = field(default_factory=list)
    excluded: list[Exclusion] = field(default_factory=list)


@dataclass(frozen=True)
class Selection:
    """Whom to add: exactly one of ids, a contact filter or a segment."""

    contact_ids: Sequence[uuid.UUID] | None = None
    filter: Filter | None = None
    segment_id: uuid.UUID | None = None


async def _candidates(
    session: AsyncSession, principal: Principal, selection: Selection, read: FilterReader | None
) -> tuple[list[uuid.UUID], uuid.UUID | None]:
    given = [
        name
        for name in ("contact_ids", "filter", "segment_id")
        if getattr(selection, name) is not None
    ]
    if len(given) != 1:
        raise ServiceError.single(
            ErrorCode.VALIDATION, "give exactly one of contactIds, filter or segmentId"
        )
    if selection.segment_id is not None:
        segment = await get_row(session, principal, SEGMENT_RULES, selection.segment_id)
        if segment.entity_type != "contact":
            raise ServiceError.single(
                ErrorCode.VALIDATION, "the segment is not a segment of contacts", "segment_id"
            )
        if read is None:
            raise TypeError("adding a segment's members needs the reader of its stored filter")
        return await member_ids(session, principal, segment, read), segment.id
    spec = SPECS["contact"]
    conditions = visible_conditions(spec, principal, selection.filter)
    if selection.contact_ids is not None:
        wanted = list(dict.fromkeys(selection.contact_ids))
        found = set(
            (
                await session.scalars(
                    select(contacts.c.id).where(contacts.c.id.in_(wanted), *conditions)
                )
            ).all()
        )
        missing = [
            UserError(
                ErrorCode.INVALID_REFERENCE, "no contact with this id", ("contact_ids", str(i))
            )
            for i, contact_id in enumerate(selection.contact_ids)
            if contact_id not in found
        ]
        if missing:
            raise ServiceError(missing)
        return wanted, None
    statement = select(contacts.c.id).where(*conditions).limit(MAX_ADD + 1)
    return list((await session.scalars(statement)).all()), None


async def add_campaign_members(
    session: AsyncSession,
    principal: Principal,
    campaign_id: uuid.UUID,
    selection: Selection,
    read: FilterReader | None = None,
) -> AddedMembers:
    """Add the selected contacts that consented to marketing and are not members yet
    (``read`` turns a segment's stored filter into a filter; needed for segments only)."""
    campaign = await get_row(session, principal, CAMPAIGN_RULES, campaign_id)
    if campaign.status in CLOSED:
        raise ServiceError.single(
            ErrorCode.INVALID_STATE, f"the campaign is {campaign.status}", "campaign_id"
        )
    ids, segment_id = await _candidates(session, principal, selection, read)
    if len(ids) > MAX_ADD:
        raise ServiceError.single(
            ErrorCode.LIMIT_EXCEEDED, f"at most {MAX_ADD} contacts per call", "contact_ids"
        )
    consent = await session.execute(
        select(contacts.c.id, contacts.c.marketing_opt_in, contacts.c.erased_at).where(
            contacts.c.id.in_(ids)
        )
    )
    reasons = {row.id: exclusion_reason(row.marketing_opt_in, row.erased_at) for row in consent}
    existing = await session.execute(
        select(members.c.contact_id, members.c.id, members.c.deleted_at).where(
            members.c.campaign_id == campaign_id, members.c.contact_id.in_(ids)
        )
    )
    current = {row.contact_id: row for row in existing}
    result = AddedMembers()
    for contact_id in ids:
        if (reason := reasons.get(contact_id)) is not None:
            result.excluded.append(Exclusion(contact_id, reason))
        elif contact_id in current and current[contact_id].deleted_at is None:
            result.already_members.append(contact_id)
        else:
            result.added.append(
                await _add(session, principal, campaign_id, contact_id, segment_id, current)
            )
    return result


async def _add(
    session: AsyncSession,
    principal: Principal,
    campaign_id: uuid.UUID,
    contact_id: uuid.UUID,
    segment_id: uuid.UUID | None,
    current: dict[uuid.UUID, Any],
) -> CampaignMember:
    if contact_id in current:  # removed earlier: brought back rather than duplicated
        return await set_deleted(
            session, principal, CAMPAIGN_MEMBER_RULES, current[contact_id].id, False
        )
    data = {"campaign_id": campaign_id, "contact_id": contact_id, "segment_id": segment_id}
    return await create_entity(session, principal, CAMPAIGN_MEMBER_RULES, data)


async def set_member_status(
    session: AsyncSession, principal: Principal, member_id: uuid.UUID, status: MemberStatus
) -> CampaignMember:
    """Move a member to a status; the first time it reaches one is stamped and evented."""
    return await update_entity(
        session, principal, CAMPAIGN_MEMBER_RULES, member_id, {"status": status}
    )
