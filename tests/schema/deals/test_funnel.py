"""Deals through the funnel: losing needs a lost reason, reopening is recorded; lost reasons."""

from typing import Any

from sqlalchemy import select

from kernel.tables import table_of
from models import Event
from tests.factories import gid

MOVE = """
mutation($id: ID!, $input: UpdateDealInput!) {
  updateDeal(id: $id, input: $input) {
    deal { closedAt stage { name } lostReason { name } history { nodes { toStage { name } } } }
    errors { code field }
  }
}
"""
DEAL = """
query($id: ID!) { node(id: $id) { ... on Deal { closedAt stage { name } lostReason { name } } } }
"""
LOST_REASONS = "{ lostReasons { nodes { name position active } } }"


async def _event_types(session_factory: Any, deal: Any) -> list[str]:
    events = table_of(Event)
    async with session_factory() as session:
        found = await session.scalars(
            select(events.c.type).where(events.c.entity_id == deal.id).order_by(events.c.position)
        )
    return list(found.all())


async def test_losing_a_deal_without_a_lost_reason_is_refused(gql: Any, make: Any) -> None:
    _, stages = await make.pipeline()
    deal = await make.deal(customer_id=(await make.customer()).id)

    data = await gql(MOVE, {"id": gid("Deal", deal), "input": {"stageId": gid("Stage", stages[3])}})
    after = await gql(DEAL, {"id": gid("Deal", deal)})

    assert data["updateDeal"]["errors"] == [
        {"code": "VALIDATION", "field": ["input", "lostReasonId"]}
    ]
    assert after["node"] == {"closedAt": None, "stage": {"name": "Lead"}, "lostReason": None}


async def test_losing_a_deal_with_a_lost_reason_closes_it(gql: Any, make: Any) -> None:
    _, stages = await make.pipeline()
    deal = await make.deal(customer_id=(await make.customer()).id)
    reason = await make.lost_reason(name="Price too high")

    data = await gql(
        MOVE,
        {
            "id": gid("Deal", deal),
            "input": {
                "stageId": gid("Stage", stages[3]),
                "lostReasonId": gid("LostReason", reason),
            },
        },
    )

    moved = data["updateDeal"]["deal"]
    assert moved["stage"] == {"name": "Lost"}
    assert moved["lostReason"] == {"name": "Price too high"}
    assert moved["closedAt"] is not None


async def test_an_inactive_lost_reason_is_refused(gql: Any, make: Any) -> None:
    _, stages = await make.pipeline()
    deal = await make.deal(customer_id=(await make.customer()).id)
    reason = await make.lost_reason(active=False)

    data = await gql(
        MOVE,
        {
            "id": gid("Deal", deal),
            "input": {
                "stageId": gid("Stage", stages[3]),
                "lostReasonId": gid("LostReason", reason),
            },
        },
    )

    assert data["updateDeal"]["errors"] == [
        {"code": "VALIDATION", "field": ["input", "lostReasonId"]}
    ]


async def test_an_open_deal_cannot_have_a_lost_reason(gql: Any, make: Any) -> None:
    await make.pipeline()
    deal = await make.deal(customer_id=(await make.customer()).id)
    reason = await make.lost_reason()

    data = await gql(
        MOVE, {"id": gid("Deal", deal), "input": {"lostReasonId": gid("LostReason", reason)}}
    )

    assert data["updateDeal"]["errors"] == [
        {"code": "VALIDATION", "field": ["input", "lostReasonId"]}
    ]


async def test_lost_event_carries_the_lost_reason(
    gql: Any, make: Any, session_factory: Any
) -> None:
    _, stages = await make.pipeline()
    deal = await make.deal(customer_id=(await make.customer()).id)
    reason = await make.lost_reason()

    await gql(
        MOVE,
        {
            "id": gid("Deal", deal),
            "input": {
                "stageId": gid("Stage", stages[3]),
                "lostReasonId": gid("LostReason", reason),
            },
        },
    )

    events = table_of(Event)
    async with session_factory() as session:
        payload = await session.scalar(select(events.c.payload).where(events.c.type == "deal.lost"))
    assert payload["object"]["lost_reason_id"] == str(reason.id)


async def test_reopening_a_lost_deal_clears_closing_and_reason_and_records_the_move(
    gql: Any, make: Any
) -> None:
    _, stages = await make.pipeline()
    reason = await make.lost_reason()
    deal = await make.deal(
        customer_id=(await make.customer()).id, stage_id=stages[3].id, lost_reason_id=reason.id
    )

    data = await gql(MOVE, {"id": gid("Deal", deal), "input": {"stageId": gid("Stage", stages[1])}})

    reopened = data["updateDeal"]["deal"]
    assert reopened["closedAt"] is None
    assert reopened["lostReason"] is None
    assert [change["toStage"]["name"] for change in reopened["history"]["nodes"]] == [
        "Lost",
        "Proposal",
    ]


async def test_reopening_a_won_deal_emits_reopened_and_stage_changed(
    gql: Any, make: Any, session_factory: Any
) -> None:
    _, stages = await make.pipeline()
    deal = await make.deal(customer_id=(await make.customer()).id, stage_id=stages[2].id)

    await gql(MOVE, {"id": gid("Deal", deal), "input": {"stageId": gid("Stage", stages[0])}})

    assert await _event_types(session_factory, deal) == [
        "deal.created",
        "deal.stage_changed",
        "deal.reopened",
        "deal.updated",
    ]


async def test_moving_between_open_stages_is_no_reopening(
    gql: Any, make: Any, session_factory: Any
) -> None:
    _, stages = await make.pipeline()
    deal = await make.deal(customer_id=(await make.customer()).id)

    await gql(MOVE, {"id": gid("Deal", deal), "input": {"stageId": gid("Stage", stages[1])}})

    assert "deal.reopened" not in await _event_types(session_factory, deal)


async def test_lost_reasons_are_listed_in_the_order_they_were_added(gql: Any) -> None:
    for name in ("Price", "Timing", "Competitor"):
        data = await gql(
            "mutation($n: String!) { createLostReason(input: {name: $n}) { errors { code } } }",
            {"n": name},
        )
        assert data["createLostReason"]["errors"] == []

    data = await gql(LOST_REASONS)

    assert data["lostReasons"]["nodes"] == [
        {"name": "Price", "position": 0, "active": True},
        {"name": "Timing", "position": 1, "active": True},
        {"name": "Competitor", "position": 2, "active": True},
    ]


async def test_lost_reason_names_are_unique(gql: Any, make: Any) -> None:
    await make.lost_reason(name="Price")

    data = await gql(
        'mutation { createLostReason(input: {name: "Price"}) { errors { code field } } }'
    )

    assert data["createLostReason"]["errors"] == [{"code": "DUPLICATE", "field": ["input", "name"]}]


async def test_rename_and_deactivate_a_lost_reason(gql: Any, make: Any) -> None:
    reason = await make.lost_reason(name="Price")

    data = await gql(
        """mutation($id: ID!) { updateLostReason(id: $id, input: {name: "Too expensive", active: false}) {
             lostReason { name active } errors { code } } }""",
        {"id": gid("LostReason", reason)},
    )

    assert data["updateLostReason"] == {
        "lostReason": {"name": "Too expensive", "active": False},
        "errors": [],
    }


async def test_reorder_lost_reasons(gql: Any, make: Any) -> None:
    first, second, third = [await make.lost_reason(name=n) for n in ("A", "B", "C")]

    data = await gql(
        """mutation($ids: [ID!]!) { reorderLostReasons(ids: $ids) {
             lostReasons { name position } errors { code } } }""",
        {"ids": [gid("LostReason", r) for r in (third, first, second)]},
    )

    assert data["reorderLostReasons"]["lostReasons"] == [
        {"name": "C", "position": 0},
        {"name": "A", "position": 1},
        {"name": "B", "position": 2},
    ]


async def test_reorder_lost_reasons_must_list_each_once(gql: Any, make: Any) -> None:
    first, _ = [await make.lost_reason(name=n) for n in ("A", "B")]

    data = await gql(
        """mutation($ids: [ID!]!) { reorderLostReasons(ids: $ids) {
             lostReasons { name } errors { code field } } }""",
        {"ids": [gid("LostReason", first), gid("LostReason", first)]},
    )
    listed = await gql(LOST_REASONS)

    assert data["reorderLostReasons"] == {
        "lostReasons": [],
        "errors": [{"code": "VALIDATION", "field": ["ids"]}],
    }
    assert [r["name"] for r in listed["lostReasons"]["nodes"]] == ["A", "B"]
