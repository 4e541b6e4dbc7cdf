"""Deals move through their pipeline: stage history, closing, and stage events."""

from typing import Any

from sqlalchemy import select

from kernel.tables import table_of
from models import Event
from tests.factories import gid

CREATE = """
mutation($input: CreateDealInput!) {
  createDeal(input: $input) {
    deal { id amount currency closedAt stage { name } history { nodes { fromStage { name } toStage { name } } } }
    errors { code field }
  }
}
"""
MOVE = """
mutation($id: ID!, $stage: ID!) {
  updateDeal(id: $id, input: {stageId: $stage}) {
    deal { closedAt stage { name kind } history { nodes { fromStage { name } toStage { name } amount } } }
    errors { code field }
  }
}
"""


async def test_new_deal_starts_in_the_default_pipelines_first_stage(gql: Any, make: Any) -> None:
    await make.pipeline()
    customer = await make.customer()

    data = await gql(
        CREATE,
        {
            "input": {
                "name": "Big one",
                "customerId": gid("Customer", customer),
                "amount": "12500.50",
                "currency": "EUR",
            }
        },
    )

    deal = data["createDeal"]["deal"]
    assert deal["stage"] == {"name": "Lead"}
    assert deal["amount"] == "12500.50"
    assert deal["closedAt"] is None
    assert deal["history"]["nodes"] == [{"fromStage": None, "toStage": {"name": "Lead"}}]


async def test_winning_a_deal_closes_it_records_history_and_emits_events(
    gql: Any, make: Any, session_factory: Any
) -> None:
    _, stages = await make.pipeline()
    customer = await make.customer()
    deal = await make.deal(customer_id=customer.id, amount="900")

    data = await gql(MOVE, {"id": gid("Deal", deal), "stage": gid("Stage", stages[2])})

    moved = data["updateDeal"]["deal"]
    assert moved["stage"] == {"name": "Won", "kind": "WON"}
    assert moved["closedAt"] is not None
    assert moved["history"]["nodes"] == [
        {"fromStage": None, "toStage": {"name": "Lead"}, "amount": "900.00"},
        {"fromStage": {"name": "Lead"}, "toStage": {"name": "Won"}, "amount": "900.00"},
    ]
    async with session_factory() as session:
        events = table_of(Event)
        types = (
            await session.scalars(select(events.c.type).where(events.c.entity_id == deal.id))
        ).all()
    assert sorted(types) == ["deal.created", "deal.stage_changed", "deal.updated", "deal.won"]


async def test_reopening_a_won_deal_clears_closed_at(gql: Any, make: Any) -> None:
    _, stages = await make.pipeline()
    deal = await make.deal(customer_id=(await make.customer()).id, stage_id=stages[2].id)

    data = await gql(MOVE, {"id": gid("Deal", deal), "stage": gid("Stage", stages[1])})

    assert data["updateDeal"]["deal"]["closedAt"] is None


async def test_stage_of_another_pipeline_is_refused(gql: Any, make: Any) -> None:
    await make.pipeline()
    _, other_stages = await make.pipeline(default=False)
    deal = await make.deal(customer_id=(await make.customer()).id)

    data = await gql(
        """mutation($id: ID!, $stage: ID!, $pipeline: ID!) {
          updateDeal(id: $id, input: {stageId: $stage, pipelineId: $pipeline}) { errors { code field } }
        }""",
        {
            "id": gid("Deal", deal),
            "stage": gid("Stage", other_stages[0]),
            "pipeline": gid("Pipeline", (await make.pipeline(default=False))[0]),
        },
    )

    assert data["updateDeal"]["errors"] == [{"code": "VALIDATION", "field": ["input", "stageId"]}]


async def test_negative_amount_and_bad_currency_are_refused(gql: Any, make: Any) -> None:
    await make.pipeline()
    customer = await make.customer()

    data = await gql(
        CREATE,
        {
            "input": {
                "name": "X",
                "customerId": gid("Customer", customer),
                "amount": "-1",
                "currency": "euro",
            }
        },
    )

    assert {tuple(e["field"]) for e in data["createDeal"]["errors"]} == {
        ("input", "amount"),
        ("input", "currency"),
    }
