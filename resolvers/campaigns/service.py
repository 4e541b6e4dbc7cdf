"""Campaigns (status lifecycle, parents) and their members (status timestamps, events)."""

from __future__ import annotations

import uuid
from datetime import date
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.crud import Change, EntityRules
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


def _check_dates(change: Change[Campaign]) -> None:
    starts, ends = change.get("starts_on"), change.get("ends_on")
    if starts is not None and ends is not None and starts > ends:
        raise ServiceError.single(ErrorCode.VALIDATION, "ends before it starts", "ends_on")


def _check_transition(change: Change[Campaign]) -> None:
    if change.created or "status" not in change.values:
        return
    current = CampaignStatus(change.was("status"))
    target = CampaignStatus(change.values["status"])
    if target != current and target not in TRANSITIONS[current]:
        raise ServiceError.single(
            ErrorCode.INVALID_STATE, f"a {current} campaign cannot become {target}", "status"
        )


async def _check_parent(session: AsyncSession, change: Change[Campaign]) -> None:
    """A campaign may not be its own ancestor."""
    parent_id = change.values.get("parent_id")
    if parent_id is None:
        return
    campaigns = table_of(Campaign)
    seen: set[uuid.UUID] = set()
    while parent_id is not None and parent_id not in seen:
        if parent_id == change.row.id:
            raise ServiceError.single(
                ErrorCode.VALIDATION, "a campaign cannot be its own ancestor", "parent_id"
            )
        seen.add(parent_id)
        parent_id = await session.scalar(
            select(campaigns.c.parent_id).where(campaigns.c.id == parent_id)
        )


async def _campaign_rules(
    session: AsyncSession, principal: Principal, change: Change[Campaign]
) -> None:
    if "actual_cost" in change.values:
        raise ServiceError.single(
            ErrorCode.VALIDATION,
            "the actual cost is the sum of the campaign's costs: add or remove costs instead",
            "actual_cost",
        )
    _check_dates(change)
    _check_transition(change)
    await _check_parent(session, change)


def _stamp_statuses(change: Change[CampaignMember]) -> None:
    """Stamp when the member first reached the status (a conversion is also a response)."""
    status = change.values.get("status")
    if status is None or status == MemberStatus.TARGETED:
        return
    now = utcnow()
    reached = [MemberStatus(status)]
    if status == MemberStatus.CONVERTED:
        reached.append(MemberStatus.RESPONDED)
    for each in reached:
        if getattr(change.row, f"{each.value}_at") is None:
            change.values[f"{each.value}_at"] = now


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
    session: AsyncSession, principal: Principal, change: Change[CampaignMember]
) -> None:
    if change.created:  # a new member: marketing only reaches contacts who consented
        contact = await session.get(Contact, change.values["contact_id"])
        assert contact is not None  # references were checked
        if (reason := exclusion_reason(contact.marketing_opt_in, contact.erased_at)) is not None:
            message = MESSAGES[reason]
            raise ServiceError.single(ErrorCode.VALIDATION, message, "contact_id")
    _stamp_statuses(change)


async def _member_after_write(
    session: AsyncSession, principal: Principal, change: Change[CampaignMember]
) -> None:
    """`campaign_member.<status>` when a member reaches a status, besides `.updated`."""
    row = change.row
    if change.created or not change.changed("status"):
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
