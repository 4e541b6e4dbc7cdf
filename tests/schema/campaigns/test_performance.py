"""Attribution of deals to campaigns, and campaign performance and ROI against hand-computed
figures."""

from datetime import UTC, datetime
from typing import Any

from tests.factories import gid

PERFORMANCE = """query($id: ID!, $children: Boolean!) {
  campaignPerformance(campaignId: $id, includeChildren: $children) {
    members sent responded converted responseRate conversionRate leads dealsCreated
    pipelineValue wonRevenueSource wonRevenueFirstTouch wonRevenueLastTouch cost costPerLead
    roiFirstTouch roiLastTouch membersByStatus { status count } } }"""
ATTRIBUTION = """query($id: ID!) { node(id: $id) { ... on Deal {
  attribution { firstTouch { name } lastTouch { name } } } } }"""


async def _contact_of_own_customer(make: Any) -> Any:
    customer = await make.customer()
    return await make.opted_in_contact(customer_id=customer.id)


async def _member(make: Any, campaign: Any, contact: Any, status: str | None) -> None:
    member = await make.member(campaign_id=campaign.id, contact_id=contact.id)
    if status is not None:
        await make.member_status(member.id, status)


async def _deal(make: Any, contact: Any, stage: Any, amount: str, campaign: Any = None) -> Any:
    return await make.deal(
        customer_id=contact.customer_id,
        contact_id=contact.id,
        stage_id=stage.id,
        amount=amount,
        campaign_id=campaign.id if campaign else None,
    )


async def _spring(make: Any) -> dict[str, Any]:
    """Parent `Spring` (cost 1000) with child `Webinar` (cost 500, starting in 2099).

    Spring members: a responded, b converted, c sent, d targeted. Webinar member: e responded.
    a was emailed by Webinar on 2026-01-01 (an interaction), before responding to Spring.
    Deals, created after those touches: X (a, source Spring, won 10000), Y (e, source Webinar,
    won 4000), Z (b, source Spring, open 3000), W (c, no source, won 2000).
    """
    _, stages = await make.pipeline()
    lead, won = stages[0], stages[2]
    spring = await make.campaign(name="Spring", starts_on="2026-01-01")
    webinar = await make.campaign(name="Webinar", parent_id=spring.id, starts_on="2099-01-01")
    await make.campaign_cost(spring.id, "1000")
    await make.campaign_cost(webinar.id, "500")
    a, b, c, d, e = [await _contact_of_own_customer(make) for _ in range(5)]
    await make.campaign_touch(
        webinar.id, contact_id=a.id, occurred_at=datetime(2026, 1, 1, tzinfo=UTC)
    )
    for contact, status in ((a, "responded"), (b, "converted"), (c, "sent"), (d, None)):
        await _member(make, spring, contact, status)
    await _member(make, webinar, e, "responded")
    deals = {
        "X": await _deal(make, a, won, "10000", spring),
        "Y": await _deal(make, e, won, "4000", webinar),
        "Z": await _deal(make, b, lead, "3000", spring),
        "W": await _deal(make, c, won, "2000"),
    }
    return {"spring": spring, "webinar": webinar, "deals": deals}


async def test_deal_attribution_names_the_first_and_last_touch(gql: Any, make: Any) -> None:
    spring = await _spring(make)

    data = await gql(ATTRIBUTION, {"id": gid("Deal", spring["deals"]["X"])})

    assert data["node"]["attribution"] == {
        "firstTouch": {"name": "Webinar"},
        "lastTouch": {"name": "Spring"},
    }


async def test_deal_without_touches_has_no_attribution(gql: Any, make: Any) -> None:
    spring = await _spring(make)

    data = await gql(ATTRIBUTION, {"id": gid("Deal", spring["deals"]["W"])})

    assert data["node"]["attribution"] == {"firstTouch": None, "lastTouch": None}


async def test_touches_after_the_deal_was_created_do_not_count(gql: Any, make: Any) -> None:
    spring = await _spring(make)
    later = await make.campaign(name="Later")
    deal = spring["deals"]["W"]
    await make.campaign_touch(
        later.id, contact_id=deal.contact_id, occurred_at=datetime(2099, 1, 1, tzinfo=UTC)
    )

    data = await gql(ATTRIBUTION, {"id": gid("Deal", deal)})

    assert data["node"]["attribution"] == {"firstTouch": None, "lastTouch": None}


async def test_attribution_of_a_page_of_deals_is_read_in_one_query(
    gql: Any, make: Any, count_statements: Any
) -> None:
    await _spring(make)
    query = (
        "{ deals(first: 50) { nodes { attribution { firstTouch { name } lastTouch { name } } } } }"
    )

    with count_statements() as counter:
        data = await gql(query)

    assert len(data["deals"]["nodes"]) == 4
    # The page, the attributions of all its deals, the campaigns they name.
    assert counter.count == 3


async def test_campaign_performance_of_the_campaign_alone(gql: Any, make: Any) -> None:
    spring = await _spring(make)

    data = await gql(PERFORMANCE, {"id": gid("Campaign", spring["spring"]), "children": False})

    figures = data["campaignPerformance"]
    assert sorted(figures.pop("membersByStatus"), key=lambda item: item["status"]) == [
        {"status": "CONVERTED", "count": 1},
        {"status": "RESPONDED", "count": 1},
        {"status": "SENT", "count": 1},
        {"status": "TARGETED", "count": 1},
    ]
    assert figures == {
        "members": 4,
        "sent": 3,  # a, b, c: every status past TARGETED
        "responded": 2,  # a, and b (a conversion is a response)
        "converted": 1,  # b
        "responseRate": "0.6667",  # 2 / 3
        "conversionRate": "0.3333",  # 1 / 3
        "leads": 4,  # a-d, all created after 2026-01-01
        "dealsCreated": 2,  # X, Z
        "pipelineValue": "3000.00",  # Z is open
        "wonRevenueSource": "10000.00",  # X
        "wonRevenueFirstTouch": "0",  # X was first touched by Webinar
        "wonRevenueLastTouch": "10000.00",  # X
        "cost": "1000.00",
        "costPerLead": "250.00",  # 1000 / 4
        "roiFirstTouch": "-1.0000",  # (0 - 1000) / 1000
        "roiLastTouch": "9.0000",  # (10000 - 1000) / 1000
    }


async def test_campaign_performance_rolls_up_child_campaigns(gql: Any, make: Any) -> None:
    spring = await _spring(make)

    data = await gql(PERFORMANCE, {"id": gid("Campaign", spring["spring"]), "children": True})

    figures = data["campaignPerformance"]
    figures.pop("membersByStatus")
    assert figures == {
        "members": 5,  # a-d in Spring, e in Webinar
        "sent": 4,  # a, b, c, e
        "responded": 3,  # a, b, e
        "converted": 1,  # b
        "responseRate": "0.7500",  # 3 / 4
        "conversionRate": "0.2500",  # 1 / 4
        "leads": 4,  # a-d; e joined Webinar, which starts in 2099
        "dealsCreated": 3,  # X, Z (Spring), Y (Webinar)
        "pipelineValue": "3000.00",  # Z
        "wonRevenueSource": "14000.00",  # X 10000 + Y 4000
        "wonRevenueFirstTouch": "14000.00",  # X (Webinar) + Y (Webinar)
        "wonRevenueLastTouch": "14000.00",  # X (Spring) + Y (Webinar)
        "cost": "1500.00",  # 1000 + 500
        "costPerLead": "375.00",  # 1500 / 4
        "roiFirstTouch": "8.3333",  # (14000 - 1500) / 1500
        "roiLastTouch": "8.3333",
    }


async def test_roi_is_null_without_cost(gql: Any, make: Any) -> None:
    campaign = await make.campaign()

    data = await gql(PERFORMANCE, {"id": gid("Campaign", campaign), "children": True})

    figures = data["campaignPerformance"]
    assert (figures["roiFirstTouch"], figures["costPerLead"], figures["responseRate"]) == (
        None,
        None,
        None,
    )


async def test_performance_of_an_unknown_campaign_is_null(gql: Any, make: Any) -> None:
    deal_customer = await make.customer()

    data = await gql(PERFORMANCE, {"id": gid("Customer", deal_customer), "children": True})

    assert data["campaignPerformance"] is None
