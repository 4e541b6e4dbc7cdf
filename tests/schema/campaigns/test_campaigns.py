"""Campaigns: the status machine, cost entries and actual cost, parents, who may write."""

from typing import Any

import pytest
from sqlalchemy import func, select

from kernel.principal import Principal, PrincipalKind
from kernel.tables import table_of
from models import Campaign, CampaignCost
from tests.factories import gid
from tests.schema.test_permissions import client_for

MOVE = """mutation($id: ID!, $status: CampaignStatus!) {
  updateCampaign(id: $id, input: {status: $status}) { campaign { status } errors { code field } } }"""
ADD_COST = """mutation($input: AddCampaignCostInput!) {
  addCampaignCost(input: $input) { campaign { actualCost costs { totalCount } } errors { code field } } }"""

ALLOWED = [
    ("DRAFT", "SCHEDULED"),
    ("DRAFT", "CANCELLED"),
    ("SCHEDULED", "ACTIVE"),
    ("SCHEDULED", "DRAFT"),
    ("SCHEDULED", "CANCELLED"),
    ("ACTIVE", "COMPLETED"),
    ("ACTIVE", "CANCELLED"),
]
STATUSES = ["DRAFT", "SCHEDULED", "ACTIVE", "COMPLETED", "CANCELLED"]
REFUSED = [
    (current, target)
    for current in STATUSES
    for target in STATUSES
    if current != target and (current, target) not in ALLOWED
]


@pytest.mark.parametrize(("current", "target"), ALLOWED)
async def test_campaign_status_moves_along_the_lifecycle(
    gql: Any, make: Any, current: str, target: str
) -> None:
    campaign = await make.campaign(status=current.lower())

    data = await gql(MOVE, {"id": gid("Campaign", campaign), "status": target})

    assert data["updateCampaign"] == {"campaign": {"status": target}, "errors": []}


@pytest.mark.parametrize(("current", "target"), REFUSED)
async def test_campaign_status_refuses_a_move_outside_the_lifecycle(
    gql: Any, make: Any, current: str, target: str
) -> None:
    campaign = await make.campaign(status=current.lower())

    data = await gql(MOVE, {"id": gid("Campaign", campaign), "status": target})
    status = await gql(
        "query($id: ID!) { node(id: $id) { ... on Campaign { status version } } }",
        {"id": gid("Campaign", campaign)},
    )

    assert data["updateCampaign"]["errors"] == [
        {"code": "INVALID_STATE", "field": ["input", "status"]}
    ]
    assert status["node"] == {"status": current, "version": 1}


async def test_actual_cost_is_the_sum_of_cost_entries(gql: Any, make: Any) -> None:
    campaign = await make.campaign()
    variables = {"campaignId": gid("Campaign", campaign), "incurredOn": "2026-02-01"}

    await gql(ADD_COST, {"input": {**variables, "amount": "1200.50"}})
    data = await gql(ADD_COST, {"input": {**variables, "amount": "300"}})

    assert data["addCampaignCost"] == {
        "campaign": {"actualCost": "1500.50", "costs": {"totalCount": 2}},
        "errors": [],
    }


async def test_removing_a_cost_entry_takes_it_off_the_actual_cost(gql: Any, make: Any) -> None:
    campaign = await make.campaign()
    await make.campaign_cost(campaign.id, "100", incurred_on="2026-01-10")
    await make.campaign_cost(campaign.id, "40", incurred_on="2026-01-20")
    cost_id = (
        await gql(
            "query($id: ID!) { node(id: $id) { ... on Campaign { costs(orderBy: {field: INCURRED_ON}) { nodes { id amount } } } } }",
            {"id": gid("Campaign", campaign)},
        )
    )["node"]["costs"]["nodes"][1]["id"]

    data = await gql(
        "mutation($id: ID!) { removeCampaignCost(id: $id) { campaign { actualCost } errors { code } } }",
        {"id": cost_id},
    )

    assert data["removeCampaignCost"] == {"campaign": {"actualCost": "100.00"}, "errors": []}


async def test_setting_actual_cost_directly_is_refused_and_changes_nothing(
    gql: Any, make: Any, session_factory: Any
) -> None:
    campaign = await make.campaign()
    await make.campaign_cost(campaign.id, "250")

    data = await gql(
        """mutation($id: ID!) { updateCampaign(id: $id, input: {actualCost: "10", name: "Renamed"}) {
            campaign { id } errors { code field } } }""",
        {"id": gid("Campaign", campaign)},
    )

    assert data["updateCampaign"] == {
        "campaign": None,
        "errors": [{"code": "VALIDATION", "field": ["input", "actualCost"]}],
    }
    async with session_factory() as session:
        row = await session.get(Campaign, campaign.id)
        costs = await session.scalar(select(func.count()).select_from(table_of(CampaignCost)))
    assert (row.name, str(row.actual_cost), costs) == (campaign.name, "250.00", 1)


async def test_a_campaign_cannot_become_its_own_ancestor(gql: Any, make: Any) -> None:
    parent = await make.campaign()
    child = await make.campaign(parent_id=parent.id)

    data = await gql(
        """mutation($id: ID!, $parent: ID!) { updateCampaign(id: $id, input: {parentId: $parent}) {
            campaign { id } errors { code field } } }""",
        {"id": gid("Campaign", parent), "parent": gid("Campaign", child)},
    )

    assert data["updateCampaign"]["errors"] == [
        {"code": "VALIDATION", "field": ["input", "parentId"]}
    ]


async def test_campaign_lists_its_children_and_parent(gql: Any, make: Any) -> None:
    parent = await make.campaign(name="Spring")
    await make.campaign(name="Spring webinar", parent_id=parent.id)

    data = await gql(
        """query($id: ID!) { node(id: $id) { ... on Campaign {
            children { nodes { name parent { name } } } } } }""",
        {"id": gid("Campaign", parent)},
    )

    assert data["node"]["children"]["nodes"] == [
        {"name": "Spring webinar", "parent": {"name": "Spring"}}
    ]


async def test_support_role_cannot_write_campaigns(http: Any, settings: Any, make: Any) -> None:
    campaign = await make.campaign()
    support = client_for(
        http, settings, Principal("op-support", PrincipalKind.OPERATOR, role="support")
    )

    errors = await support.errors(
        """mutation($input: AddCampaignCostInput!) { addCampaignCost(input: $input) { errors { code } } }""",
        {
            "input": {
                "campaignId": gid("Campaign", campaign),
                "incurredOn": "2026-01-01",
                "amount": "5",
            }
        },
    )

    assert errors[0]["extensions"]["code"] == "FORBIDDEN"


async def test_marketing_role_can_write_campaigns(http: Any, settings: Any, make: Any) -> None:
    campaign = await make.campaign()
    marketer = client_for(
        http, settings, Principal("op-marketing", PrincipalKind.OPERATOR, role="marketing")
    )

    data = await marketer(MOVE, {"id": gid("Campaign", campaign), "status": "SCHEDULED"})

    assert data["updateCampaign"]["errors"] == []
