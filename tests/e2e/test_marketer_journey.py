"""Issue 7's acceptance, through GraphQL alone: a marketer builds a segment, launches a campaign
to it, records responses and costs, and reads ROI matching hand-computed figures."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx

from app.http.auth import issue_token
from app.settings import Settings
from kernel.principal import Principal, PrincipalKind
from tests.conftest import GraphQLClient
from tests.factories import gid


async def test_marketer_builds_a_segment_launches_a_campaign_and_reads_its_roi(
    http: httpx.AsyncClient, gql: GraphQLClient, settings: Settings, make: Any
) -> None:
    marketer = GraphQLClient(
        http,
        issue_token(
            settings, Principal(subject="mia", kind=PrincipalKind.OPERATOR, role="marketing")
        ),
    )
    contacts = {}
    for name, domain, opted_in in [
        ("Ada", "acme.test", True),
        ("Alan", "acme.test", True),
        ("Grace", "acme.test", False),
        ("Linus", "other.test", True),
    ]:
        data = await marketer(
            "mutation($i: CreateContactInput!) { createContact(input: $i) { contact { id } errors { code } } }",
            {
                "i": {
                    "firstName": name,
                    "lastName": "Test",
                    "email": f"{name.lower()}@{domain}",
                    "marketingOptIn": opted_in,
                }
            },
        )
        contacts[name] = data["createContact"]["contact"]["id"]

    segment = (
        await marketer(
            'mutation { createSegment(input: {name: "Acme people", entityType: CONTACT, filter: {email: {contains: "@acme.test"}}}) { segment { id count } errors { code field message } } }'
        )
    )["createSegment"]
    assert segment["errors"] == []
    segment = segment["segment"]
    campaign = (
        await marketer(
            'mutation { createCampaign(input: {name: "CTO webinar", channel: WEBINAR, currency: "EUR", startsOn: "2026-01-01"}) { campaign { id } errors { code } } }'
        )
    )["createCampaign"]["campaign"]["id"]
    added = (
        await marketer(
            "mutation($c: ID!, $s: ID!) { addCampaignMembers(input: {campaignId: $c, segmentId: $s}) { added { id contact { id } } excluded { contactId reason } errors { code } } }",
            {"c": campaign, "s": segment["id"]},
        )
    )["addCampaignMembers"]
    members = {member["contact"]["id"]: member["id"] for member in added["added"]}
    for status, contact in [("SENT", "Ada"), ("SENT", "Alan"), ("RESPONDED", "Ada")]:
        await marketer(
            "mutation($m: ID!, $s: CampaignMemberStatus!) { updateCampaignMemberStatus(id: $m, status: $s) { errors { code } } }",
            {"m": members[contacts[contact]], "s": status},
        )
    await marketer(
        'mutation($c: ID!) { addCampaignCost(input: {campaignId: $c, incurredOn: "2026-01-10", amount: "1000.00"}) { errors { code } } }',
        {"c": campaign},
    )
    # Sales wins a 5,000 EUR deal with Ada, who responded to the webinar before it was created.
    _, stages = await make.pipeline()
    customer = await make.customer()
    await gql(
        "mutation($i: CreateDealInput!) { createDeal(input: $i) { errors { code } } }",
        {
            "i": {
                "name": "Ada's deal",
                "customerId": gid("Customer", customer),
                "contactId": contacts["Ada"],
                "amount": "5000.00",
                "currency": "EUR",
                "stageId": gid("Stage", stages[2]),
                "campaignId": campaign,
            }
        },
    )

    performance = (
        await marketer(
            "query($c: ID!) { campaignPerformance(campaignId: $c) { members sent responded responseRate dealsCreated wonRevenueFirstTouch cost roiFirstTouch } }",
            {"c": campaign},
        )
    )["campaignPerformance"]

    assert segment["count"] == 3
    assert added["excluded"] == [{"contactId": contacts["Grace"], "reason": "NO_MARKETING_CONSENT"}]
    assert performance["members"] == 2
    assert performance["sent"] == 2  # Ada (responded counts as past sent) and Alan
    assert performance["responded"] == 1
    assert Decimal(performance["responseRate"]) == Decimal("0.5")  # 1 / 2
    assert performance["dealsCreated"] == 1
    assert Decimal(performance["wonRevenueFirstTouch"]) == Decimal("5000")
    assert Decimal(performance["cost"]) == Decimal("1000")
    assert Decimal(performance["roiFirstTouch"]) == Decimal("4")  # (5,000 - 1,000) / 1,000
