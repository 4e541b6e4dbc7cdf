"""Campaigns (status lifecycle, parents) and their members (status timestamps, events)."""

from __future__ import annotations

import uuid
from datetime import date
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.crud import EntityRules
from kernel.errors import ErrorCode, ServiceError
from kernel.inputs import Currency, InputModel, Money, Name, partial
from kernel.outbox import record_event
from kernel.principal import Principal
from kernel.tables import row_to_dict, table_of
from models import (
    Campaign,
    CampaignChannel,
    CampaignMember,
    CampaignStatus,
    Contact,
    MemberStatus,
    User,
    utcnow,
)

# The statuses a member reaches after being targeted, each with its own event.
REACHED_STATUSES = tuple(status for status in MemberStatus if status != MemberStatus.TARGETED)

# Where a campaign may go from each status; anything else is INVALID_STATE.
TRANSITIONS: dict[CampaignStatus, frozenset[CampaignStatus]] = {
    CampaignStatus.DRAFT: frozenset({CampaignStatus.SCHEDULED, CampaignStatus.CANCELLED}),
    CampaignStatus.SCHEDULED: frozenset(
        {CampaignStatus.ACTIVE, CampaignStatus.DRAFT, CampaignStatus.CANCELLED}
    ),
    CampaignStatus.ACTIVE: frozenset({CampaignStatus.COMPLETED, CampaignStatus.CANCELLED}),
    CampaignStatus.COMPLETED: frozenset(),
    CampaignStatus.CANCELLED: frozenset(),
}


class CampaignCreate(InputModel):
    """A campaign as the API writes it; `actual_cost` is derived from its cost entries."""

    name: Name
    channel: CampaignChannel
    status: CampaignStatus = CampaignStatus.DRAFT
    currency: Currency = "USD"
    budget: Money | None = None
    # Refused when given: the actual cost is the sum of the cost entries.
    actual_cost: Money | None = None
    expected_revenue: Money | None = None
    parent_id: uuid.UUID | None = None
    starts_on: date | None = None
    ends_on: date | None = None
    owner_id: uuid.UUID | None = None


class CampaignMemberCreate(InputModel):
    campaign_id: uuid.UUID
    contact_id: uuid.UUID
    status: MemberStatus = MemberStatus.TARGETED
    segment_id: uuid.UUID | None = None


class CampaignMemberUpdate(InputModel):
    status: MemberStatus | None = None


def _check_dates(row: Any, changes: dict[str, Any]) -> None:
    starts = changes.get("starts_on", row.starts_on)
    ends = changes.get("ends_on", row.ends_on)
    if starts is not None and ends is not None and starts > ends:
        raise ServiceError.single(ErrorCode.VALIDATION, "ends before it starts", "ends_on")


def _check_transition(row: Any, changes: dict[str, Any], previous: Any) -> None:
    if previous is None or "status" not in changes:
        return
    current, target = CampaignStatus(previous["status"]), CampaignStatus(changes["status"])
    if target != current and target not in TRANSITIONS[current]:
        raise ServiceError.single(
            ErrorCode.INVALID_STATE, f"a {current} campaign cannot become {target}", "status"
        )


async def _check_parent(session: AsyncSession, row: Any, changes: dict[str, Any]) -> None:
    """A campaign may not be its own ancestor."""
    parent_id = changes.get("parent_id")
    if parent_id is None:
        return
    campaigns = table_of(Campaign)
    seen: set[uuid.UUID] = set()
    while parent_id is not None and parent_id not in seen:
        if parent_id == row.id:
            raise ServiceError.single(
                ErrorCode.VALIDATION, "a campaign cannot be its own ancestor", "parent_id"
            )
        seen.add(parent_id)
        parent_id = await session.scalar(
            select(campaigns.c.parent_id).where(campaigns.c.id == parent_id)
        )


async def _campaign_rules(
    session: AsyncSession,
    principal: Principal,
    row: Any,
    changes: dict[str, Any],
    previous: Any,
) -> None:
    if "actual_cost" in changes:
        raise ServiceError.single(
            ErrorCode.VALIDATION,
            "the actual cost is the sum of the campaign's costs: add or remove costs instead",
            "actual_cost",
        )
    _check_dates(row, changes)
    _check_transition(row, changes, previous)
    await _check_parent(session, row, changes)


def _stamp_statuses(row: Any, changes: dict[str, Any]) -> None:
    """Stamp when the member first reached the status (a conversion is also a response)."""
    status = changes.get("status")
    if status is None or status == MemberStatus.TARGETED:
        return
    now = utcnow()
    reached = [MemberStatus(status)]
    if status == MemberStatus.CONVERTED:
        reached.append(MemberStatus.RESPONDED)
    for each in reached:
        if getattr(row, f"{each.value}_at") is None:
            changes[f"{each.value}_at"] = now


class ExclusionReason(StrEnum):
    """Why a contact was not added to a campaign."""

    NO_MARKETING_CONSENT = "no_marketing_consent"
    ERASED = "erased"


MESSAGES = {
    ExclusionReason.NO_MARKETING_CONSENT: "the contact has not consented to marketing",
    ExclusionReason.ERASED: "the contact's personal data was erased",
}


def exclusion_reason(marketing_opt_in: bool, erased_at: Any) -> ExclusionReason | None:
    """Why a contact may not be targeted by marketing, if it may not."""
    if erased_at is not None:
        return ExclusionReason.ERASED
    if not marketing_opt_in:
        return ExclusionReason.NO_MARKETING_CONSENT
    return None


async def _member_before_write(
    session: AsyncSession,
    principal: Principal,
    row: Any,
    changes: dict[str, Any],
    previous: Any,
) -> None:
    if previous is None:  # a new member: marketing only reaches contacts who consented
        contact = await session.get(Contact, changes["contact_id"])
        assert contact is not None  # references were checked
        if (reason := exclusion_reason(contact.marketing_opt_in, contact.erased_at)) is not None:
            message = MESSAGES[reason]
            raise ServiceError.single(ErrorCode.VALIDATION, message, "contact_id")
    _stamp_statuses(row, changes)


async def _member_after_write(
    session: AsyncSession,
    principal: Principal,
    row: Any,
    changes: dict[str, Any],
    previous: Any,
) -> None:
    """`campaign_member.<status>` when a member reaches a status, besides `.updated`."""
    if previous is None or "status" not in changes or previous["status"] == row.status:
        return
    if row.status == MemberStatus.TARGETED:
        return
    data = row_to_dict(row, table_of(CampaignMember))
    event_type = f"campaign_member.{MemberStatus(row.status).value}"
    record_event(session, principal, event_type, "campaign_member", row.id, row.version, data)


CAMPAIGN_RULES = EntityRules(
    model=Campaign,
    entity="campaign",
    create_input=CampaignCreate,
    update_input=partial(CampaignCreate, "CampaignUpdate"),
    references={"owner_id": User, "parent_id": Campaign},
    unique=(),
    before_write=_campaign_rules,
)

CAMPAIGN_MEMBER_RULES = EntityRules(
    model=CampaignMember,
    entity="campaign_member",
    create_input=CampaignMemberCreate,
    update_input=CampaignMemberUpdate,
    references={"campaign_id": Campaign, "contact_id": Contact},
    unique=(("campaign_id", "contact_id"),),
    before_write=_member_before_write,
    after_write=_member_after_write,
)
