"""Adding contacts to campaigns: in bulk, idempotent, only with marketing consent; member
status timestamps and events."""

from typing import Any

from sqlalchemy import select

from kernel.tables import table_of
from models import CampaignMember, Event
from tests.factories import gid

ADD = """mutation($input: AddCampaignMembersInput!) { addCampaignMembers(input: $input) {
  added { contact { id } } alreadyMemberIds excluded { contactId reason } errors { code field } } }"""
STATUS = """mutation($id: ID!, $status: CampaignMemberStatus!) {
  updateCampaignMemberStatus(id: $id, status: $status) {
    campaignMember { status sentAt respondedAt convertedAt } errors { code field } } }"""


async def test_adding_members_by_ids_leaves_out_contacts_without_consent(
    gql: Any, make: Any
) -> None:
    campaign = await make.campaign()
    consented = await make.opted_in_contact()
    refused = await make.contact(marketing_opt_in=False)
    ids = [gid("Contact", consented), gid("Contact", refused)]

    data = await gql(ADD, {"input": {"campaignId": gid("Campaign", campaign), "contactIds": ids}})

    assert data["addCampaignMembers"] == {
        "added": [{"contact": {"id": ids[0]}}],
        "alreadyMemberIds": [],
        "excluded": [{"contactId": ids[1], "reason": "NO_MARKETING_CONSENT"}],
        "errors": [],
    }


async def test_erased_contacts_are_left_out(gql: Any, make: Any) -> None:
    campaign = await make.campaign()
    contact = await make.opted_in_contact()
    await gql(
        "mutation($id: ID!) { erasePersonalData(contactId: $id) { errors { code } } }",
        {"id": gid("Contact", contact)},
    )

    data = await gql(
        ADD,
        {
            "input": {
                "campaignId": gid("Campaign", campaign),
                "contactIds": [gid("Contact", contact)],
            }
        },
    )

    assert data["addCampaignMembers"]["excluded"] == [
        {"contactId": gid("Contact", contact), "reason": "ERASED"}
    ]


async def test_adding_the_same_contacts_twice_adds_them_once(
    gql: Any, make: Any, session_factory: Any
) -> None:
    campaign = await make.campaign()
    contact = await make.opted_in_contact()
    variables = {
        "input": {"campaignId": gid("Campaign", campaign), "contactIds": [gid("Contact", contact)]}
    }

    await gql(ADD, variables)
    second = await gql(ADD, variables)

    assert second["addCampaignMembers"]["added"] == []
    assert second["addCampaignMembers"]["alreadyMemberIds"] == [gid("Contact", contact)]
    async with session_factory() as session:
        members = (await session.scalars(select(table_of(CampaignMember).c.id))).all()
    assert len(members) == 1


async def test_adding_members_by_filter(gql: Any, make: Any) -> None:
    campaign = await make.campaign()
    berlin = await make.customer(city="Berlin")
    await make.opted_in_contact(customer_id=berlin.id)
    await make.opted_in_contact()

    data = await gql(
        ADD,
        {
            "input": {
                "campaignId": gid("Campaign", campaign),
                "filter": {"customer": {"city": {"eq": "Berlin"}}},
            }
        },
    )

    assert len(data["addCampaignMembers"]["added"]) == 1


async def test_adding_members_by_segment_records_the_segment(gql: Any, make: Any) -> None:
    campaign = await make.campaign()
    await make.opted_in_contact()
    await make.contact(marketing_opt_in=False)
    segment = await gql(
        """mutation { createSegment(input: {name: "All", entityType: CONTACT, filter: {}}) {
            segment { id } } }"""
    )
    segment_id = segment["createSegment"]["segment"]["id"]

    data = await gql(
        ADD.replace("added { contact { id } }", "added { segment { id } }"),
        {"input": {"campaignId": gid("Campaign", campaign), "segmentId": segment_id}},
    )

    assert data["addCampaignMembers"]["added"] == [{"segment": {"id": segment_id}}]
    assert len(data["addCampaignMembers"]["excluded"]) == 1


async def test_adding_an_unknown_contact_is_refused_and_adds_nobody(
    gql: Any, make: Any, session_factory: Any
) -> None:
    campaign = await make.campaign()
    contact = await make.opted_in_contact()
    ghost = await make.opted_in_contact()
    ghost_id = gid("Contact", ghost)
    await gql("mutation($id: ID!) { deleteContact(id: $id) { errors { code } } }", {"id": ghost_id})

    data = await gql(
        ADD,
        {
            "input": {
                "campaignId": gid("Campaign", campaign),
                "contactIds": [gid("Contact", contact), ghost_id],
            }
        },
    )

    assert data["addCampaignMembers"]["errors"] == [
        {"code": "INVALID_REFERENCE", "field": ["input", "contactIds", "1"]}
    ]
    async with session_factory() as session:
        assert (await session.scalars(select(table_of(CampaignMember).c.id))).all() == []


async def test_adding_members_needs_exactly_one_selection(gql: Any, make: Any) -> None:
    campaign = await make.campaign()

    data = await gql(ADD, {"input": {"campaignId": gid("Campaign", campaign)}})

    assert data["addCampaignMembers"]["errors"] == [{"code": "VALIDATION", "field": None}]


async def test_a_completed_campaign_takes_no_members(gql: Any, make: Any) -> None:
    campaign = await make.campaign(status="completed")
    contact = await make.opted_in_contact()

    data = await gql(
        ADD,
        {
            "input": {
                "campaignId": gid("Campaign", campaign),
                "contactIds": [gid("Contact", contact)],
            }
        },
    )

    assert data["addCampaignMembers"]["errors"] == [
        {"code": "INVALID_STATE", "field": ["input", "campaignId"]}
    ]


async def test_member_status_stamps_when_it_was_first_reached(gql: Any, make: Any) -> None:
    member = await make.member(
        campaign_id=(await make.campaign()).id, contact_id=(await make.opted_in_contact()).id
    )
    await make.member_status(member.id, "sent")

    data = await gql(STATUS, {"id": gid("CampaignMember", member), "status": "CONVERTED"})

    updated = data["updateCampaignMemberStatus"]["campaignMember"]
    assert updated["status"] == "CONVERTED"
    assert updated["sentAt"] is not None
    assert updated["respondedAt"] == updated["convertedAt"] is not None


async def test_member_status_change_emits_the_status_event(
    gql: Any, make: Any, session_factory: Any
) -> None:
    member = await make.member(
        campaign_id=(await make.campaign()).id, contact_id=(await make.opted_in_contact()).id
    )

    await gql(STATUS, {"id": gid("CampaignMember", member), "status": "RESPONDED"})

    events = table_of(Event)
    async with session_factory() as session:
        types = (
            await session.scalars(select(events.c.type).where(events.c.entity_id == member.id))
        ).all()
    assert sorted(types) == [
        "campaign_member.created",
        "campaign_member.responded",
        "campaign_member.updated",
    ]


async def test_a_single_member_without_consent_is_refused(gql: Any, make: Any) -> None:
    contact = await make.contact()
    campaign = await make.campaign()

    data = await gql(
        "mutation($c: ID!, $p: ID!) { createCampaignMember(input: {campaignId: $c, contactId: $p}) { campaignMember { id } errors { code field } } }",
        {"c": gid("Campaign", campaign), "p": gid("Contact", contact)},
    )

    assert data["createCampaignMember"] == {
        "campaignMember": None,
        "errors": [{"code": "VALIDATION", "field": ["input", "contactId"]}],
    }
