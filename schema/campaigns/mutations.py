"""Writing campaigns and their members (create, update, trash, restore), and the marketing
mutations: member status, campaign costs, segments, adding members."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

import models
from kernel.errors import ErrorCode, InvalidArgumentError, ServiceError
from kernel.principal import Principal
from resolvers.campaigns import costs, members, segments
from resolvers.campaigns.segments import SEGMENT_RULES
from resolvers.campaigns.service import CAMPAIGN_MEMBER_RULES, CAMPAIGN_RULES
from resolvers.campaigns.service import ExclusionReason as ExclusionReasonModel
from schema.campaigns.inputs import (
    CreateCampaignInput,
    CreateCampaignMemberInput,
    UpdateCampaignInput,
    UpdateCampaignMemberInput,
)
from schema.campaigns.segments import Segment, SegmentEntityType, read_segment_filter
from schema.campaigns.types import Campaign, CampaignMember, MemberStatus
from schema.context import Info
from schema.customers.types import ContactFilter
from schema.errors import UserError
from schema.filters import to_filter
from schema.ids import encode_id
from schema.inputs import UNSET
from schema.mutations import create_row, set_row_deleted, update_row
from schema.permissions import can_write
from schema.services import node_pk, run_service

WRITE = can_write(CAMPAIGN_RULES.entity)
WRITE_MEMBER = can_write(CAMPAIGN_MEMBER_RULES.entity)
ExclusionReason = strawberry.enum(
    ExclusionReasonModel, name="MemberExclusionReason", description="Why a contact was left out."
)


@strawberry.input(description="A cost of a campaign, in its currency.")
class AddCampaignCostInput:
    campaign_id: strawberry.ID
    incurred_on: date
    amount: Decimal
    description: str | None = UNSET


@strawberry.type(description="The campaign with its new actual cost, or why not.")
class CampaignCostPayload:
    campaign: Campaign | None
    errors: list[UserError]


@strawberry.input(description="A new segment: a filter over contacts or customers.")
class CreateSegmentInput:
    name: str
    entity_type: SegmentEntityType
    filter: strawberry.scalars.JSON = strawberry.field(
        description="As the `contacts` (or `customers`) query's `filter` argument takes it."
    )
    description: str | None = UNSET
    owner_id: strawberry.ID | None = UNSET


@strawberry.input(description="Changes to a segment.")
class UpdateSegmentInput:
    name: str | None = UNSET
    description: str | None = UNSET
    filter: strawberry.scalars.JSON | None = UNSET
    owner_id: strawberry.ID | None = UNSET


@strawberry.type(description="The segment as written, or why not.")
class SegmentPayload:
    segment: Segment | None
    errors: list[UserError]


@strawberry.input(description="Whom to add: exactly one of `contactIds`, `filter`, `segmentId`.")
class AddCampaignMembersInput:
    campaign_id: strawberry.ID
    contact_ids: list[strawberry.ID] | None = UNSET
    filter: ContactFilter | None = UNSET
    segment_id: strawberry.ID | None = UNSET


@strawberry.type(description="A contact left out of a campaign, and why.")
class MemberExclusion:
    contact_id: strawberry.ID
    reason: ExclusionReason


@strawberry.type(description="What adding members did; with errors, nothing was added.")
class AddCampaignMembersPayload:
    added: list[CampaignMember]
    already_member_ids: list[strawberry.ID] = strawberry.field(
        description="Contacts that were members already (left as they are)."
    )
    excluded: list[MemberExclusion] = strawberry.field(
        description="Contacts not added: no marketing consent, or erased."
    )
    errors: list[UserError]


def _values(input: Any, **ids: str) -> dict[str, Any]:
    """The given fields of an input, global ids of ``ids`` (field -> type) decoded."""
    values: dict[str, Any] = {}
    for name in input.__dataclass_fields__:
        value = getattr(input, name)
        if value is UNSET:
            continue
        if name in ids and value is not None:
            value = node_pk(value, ids[name], name)
        values[name] = value.value if isinstance(value, SegmentEntityType) else value
    return values


def _segment_payload(result: models.Segment | list[UserError]) -> SegmentPayload:
    if isinstance(result, list):
        return SegmentPayload(segment=None, errors=result)
    return SegmentPayload(segment=Segment.from_row(result), errors=[])


def _segment_id(id: strawberry.ID) -> uuid.UUID:
    return node_pk(id, "Segment")


@strawberry.type(description="The Campaign as written, or the errors that stopped the write.")
class CampaignPayload:
    campaign: Campaign | None
    errors: list[UserError]


def _campaign_payload(result: models.Campaign | list[UserError]) -> CampaignPayload:
    if isinstance(result, list):
        return CampaignPayload(campaign=None, errors=result)
    return CampaignPayload(campaign=Campaign.from_row(result), errors=[])


@strawberry.type(description="The CampaignMember as written, or the errors that stopped the write.")
class CampaignMemberPayload:
    campaign_member: CampaignMember | None
    errors: list[UserError]


def _campaign_member_payload(
    result: models.CampaignMember | list[UserError],
) -> CampaignMemberPayload:
    if isinstance(result, list):
        return CampaignMemberPayload(campaign_member=None, errors=result)
    return CampaignMemberPayload(campaign_member=CampaignMember.from_row(result), errors=[])


@strawberry.type
class CampaignMutation:
    @strawberry.mutation(description="Create a Campaign.", permission_classes=WRITE)
    async def create_campaign(self, info: Info, input: CreateCampaignInput) -> CampaignPayload:
        return _campaign_payload(await create_row(info, CAMPAIGN_RULES, input))

    @strawberry.mutation(
        description="Change the given fields of a Campaign. With `expectedVersion`, refuse with "
        "CONFLICT if it was changed meanwhile.",
        permission_classes=WRITE,
    )
    async def update_campaign(
        self,
        info: Info,
        id: strawberry.ID,
        input: UpdateCampaignInput,
        expected_version: int | None = None,
    ) -> CampaignPayload:
        return _campaign_payload(
            await update_row(info, CAMPAIGN_RULES, "Campaign", id, input, expected_version)
        )

    @strawberry.mutation(
        description="Move a Campaign to the trash (restorable).", permission_classes=WRITE
    )
    async def delete_campaign(
        self, info: Info, id: strawberry.ID, expected_version: int | None = None
    ) -> CampaignPayload:
        return _campaign_payload(
            await set_row_deleted(info, CAMPAIGN_RULES, "Campaign", id, True, expected_version)
        )

    @strawberry.mutation(
        description="Bring a Campaign back from the trash.", permission_classes=WRITE
    )
    async def restore_campaign(self, info: Info, id: strawberry.ID) -> CampaignPayload:
        return _campaign_payload(await set_row_deleted(info, CAMPAIGN_RULES, "Campaign", id, False))

    @strawberry.mutation(description="Create a CampaignMember.", permission_classes=WRITE_MEMBER)
    async def create_campaign_member(
        self, info: Info, input: CreateCampaignMemberInput
    ) -> CampaignMemberPayload:
        return _campaign_member_payload(await create_row(info, CAMPAIGN_MEMBER_RULES, input))

    @strawberry.mutation(
        description="Change the given fields of a CampaignMember. With `expectedVersion`, refuse "
        "with CONFLICT if it was changed meanwhile.",
        permission_classes=WRITE_MEMBER,
    )
    async def update_campaign_member(
        self,
        info: Info,
        id: strawberry.ID,
        input: UpdateCampaignMemberInput,
        expected_version: int | None = None,
    ) -> CampaignMemberPayload:
        return _campaign_member_payload(
            await update_row(
                info, CAMPAIGN_MEMBER_RULES, "CampaignMember", id, input, expected_version
            )
        )

    @strawberry.mutation(
        description="Move a CampaignMember to the trash (restorable).",
        permission_classes=WRITE_MEMBER,
    )
    async def delete_campaign_member(
        self, info: Info, id: strawberry.ID, expected_version: int | None = None
    ) -> CampaignMemberPayload:
        return _campaign_member_payload(
            await set_row_deleted(
                info, CAMPAIGN_MEMBER_RULES, "CampaignMember", id, True, expected_version
            )
        )

    @strawberry.mutation(
        description="Bring a CampaignMember back from the trash.", permission_classes=WRITE_MEMBER
    )
    async def restore_campaign_member(self, info: Info, id: strawberry.ID) -> CampaignMemberPayload:
        return _campaign_member_payload(
            await set_row_deleted(info, CAMPAIGN_MEMBER_RULES, "CampaignMember", id, False)
        )


@strawberry.type
class MarketingMutation:
    @strawberry.mutation(
        description="Move a member to a status: the first time it reaches one is stamped "
        "(`sentAt`, `respondedAt`, ...) and `campaign_member.<status>` is emitted besides "
        "`campaign_member.updated`.",
        permission_classes=WRITE,
    )
    async def update_campaign_member_status(
        self, info: Info, id: strawberry.ID, status: MemberStatus
    ) -> CampaignMemberPayload:
        result = await run_service(
            info,
            lambda s, p: members.set_member_status(s, p, node_pk(id, "CampaignMember"), status),
        )
        return _campaign_member_payload(result)

    @strawberry.mutation(description="Record a campaign cost.", permission_classes=WRITE)
    async def add_campaign_cost(
        self, info: Info, input: AddCampaignCostInput
    ) -> CampaignCostPayload:
        async def action(session: AsyncSession, principal: Principal) -> models.Campaign:
            data = _values(input, campaign_id="Campaign")
            return await costs.add_campaign_cost(session, principal, data)

        result = await run_service(info, action)
        if isinstance(result, list):
            return CampaignCostPayload(campaign=None, errors=result)
        return CampaignCostPayload(campaign=Campaign.from_row(result), errors=[])

    @strawberry.mutation(description="Delete a campaign cost.", permission_classes=WRITE)
    async def remove_campaign_cost(self, info: Info, id: strawberry.ID) -> CampaignCostPayload:
        result = await run_service(
            info,
            lambda s, p: costs.remove_campaign_cost(s, p, node_pk(id, "CampaignCost")),
        )
        if isinstance(result, list):
            return CampaignCostPayload(campaign=None, errors=result)
        return CampaignCostPayload(campaign=Campaign.from_row(result), errors=[])

    @strawberry.mutation(description="Save a new (dynamic) segment.", permission_classes=WRITE)
    async def create_segment(self, info: Info, input: CreateSegmentInput) -> SegmentPayload:
        async def action(session: AsyncSession, principal: Principal) -> models.Segment:
            data = _values(input, owner_id="User")
            return await segments.create_segment(session, principal, data, read_segment_filter)

        return _segment_payload(await run_service(info, action))

    @strawberry.mutation(description="Change a segment.", permission_classes=WRITE)
    async def update_segment(
        self, info: Info, id: strawberry.ID, input: UpdateSegmentInput
    ) -> SegmentPayload:
        async def action(session: AsyncSession, principal: Principal) -> models.Segment:
            data = _values(input, owner_id="User")
            return await segments.update_segment(
                session, principal, _segment_id(id), data, read_segment_filter
            )

        return _segment_payload(await run_service(info, action))

    @strawberry.mutation(description="Move a segment to the trash.", permission_classes=WRITE)
    async def delete_segment(self, info: Info, id: strawberry.ID) -> SegmentPayload:
        return _segment_payload(await set_row_deleted(info, SEGMENT_RULES, "Segment", id, True))

    @strawberry.mutation(
        description="Bring a segment back from the trash.", permission_classes=WRITE
    )
    async def restore_segment(self, info: Info, id: strawberry.ID) -> SegmentPayload:
        return _segment_payload(await set_row_deleted(info, SEGMENT_RULES, "Segment", id, False))

    @strawberry.mutation(
        description="Snapshot the records a segment selects now (of those you may see); it "
        "stays static until unfrozen.",
        permission_classes=WRITE,
    )
    async def freeze_segment(self, info: Info, id: strawberry.ID) -> SegmentPayload:
        return _segment_payload(
            await run_service(
                info,
                lambda s, p: segments.freeze_segment(s, p, _segment_id(id), read_segment_filter),
            )
        )

    @strawberry.mutation(
        description="Drop a segment's snapshot: it is evaluated on read again.",
        permission_classes=WRITE,
    )
    async def unfreeze_segment(self, info: Info, id: strawberry.ID) -> SegmentPayload:
        return _segment_payload(
            await run_service(info, lambda s, p: segments.unfreeze_segment(s, p, _segment_id(id)))
        )

    @strawberry.mutation(
        description=f"Add up to {members.MAX_ADD} contacts to a campaign, by ids, a contact "
        "filter or a segment. Idempotent: members already in are reported, not duplicated; "
        "contacts without marketing consent (or erased) are left out with the reason.",
        permission_classes=WRITE,
    )
    async def add_campaign_members(
        self, info: Info, input: AddCampaignMembersInput
    ) -> AddCampaignMembersPayload:
        async def action(session: AsyncSession, principal: Principal) -> members.AddedMembers:
            campaign_id = node_pk(input.campaign_id, "Campaign", "campaign_id")
            selection = members.Selection(
                contact_ids=None
                if input.contact_ids in (None, UNSET)
                else [
                    node_pk(item, "Contact", "contact_ids", str(index))
                    for index, item in enumerate(input.contact_ids or [])
                ],
                filter=_contact_filter(input.filter),
                segment_id=None
                if input.segment_id in (None, UNSET)
                else node_pk(str(input.segment_id), "Segment", "segment_id"),
            )
            return await members.add_campaign_members(
                session, principal, campaign_id, selection, read_segment_filter
            )

        result = await run_service(info, action)
        if isinstance(result, list):
            return AddCampaignMembersPayload(
                added=[], already_member_ids=[], excluded=[], errors=result
            )
        return AddCampaignMembersPayload(
            added=[CampaignMember.from_row(row) for row in result.added],
            already_member_ids=[
                strawberry.ID(encode_id("Contact", pk)) for pk in result.already_members
            ],
            excluded=[
                MemberExclusion(
                    contact_id=strawberry.ID(encode_id("Contact", item.contact_id)),
                    reason=item.reason,
                )
                for item in result.excluded
            ],
            errors=[],
        )


def _contact_filter(value: Any) -> Any:
    if value in (None, UNSET):
        return None
    try:
        return to_filter(value) or {}
    except InvalidArgumentError as exc:
        raise ServiceError.single(ErrorCode.VALIDATION, str(exc), "filter") from exc
