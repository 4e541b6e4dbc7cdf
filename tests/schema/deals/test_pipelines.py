"""Sales managers set up pipelines: stages in order, forecast categories, retiring stages."""

from typing import Any

import httpx
from sqlalchemy import func, select

from app.http.auth import issue_token
from kernel.principal import Principal, PrincipalKind
from kernel.tables import table_of
from models import AuditEntry, Pipeline, Stage
from tests.conftest import GraphQLClient
from tests.factories import gid

CREATE_PIPELINE = """
mutation($input: CreatePipelineInput!) {
  createPipeline(input: $input) {
    pipeline { name isDefault stages { nodes { name position probability kind forecastCategory } } }
    errors { code field }
  }
}
"""
STAGES = "query($id: ID!) { node(id: $id) { ... on Pipeline { stages { nodes { name } } } } }"
MOVE = """
mutation($id: ID!, $stage: ID!) {
  updateDeal(id: $id, input: {stageId: $stage}) { deal { stage { name } } errors { code field } }
}
"""


def _as(http: httpx.AsyncClient, settings: Any, role: str) -> GraphQLClient:
    principal = Principal(f"op-{role}", PrincipalKind.OPERATOR, role=role)
    return GraphQLClient(http, issue_token(settings, principal))


async def _count(session_factory: Any, model: Any) -> int:
    async with session_factory() as session:
        return int(await session.scalar(select(func.count()).select_from(table_of(model))))


async def _stage_names(gql: Any, pipeline: Any) -> list[str]:
    data = await gql(STAGES, {"id": gid("Pipeline", pipeline)})
    return [stage["name"] for stage in data["node"]["stages"]["nodes"]]


async def test_create_pipeline_with_stages_in_order_and_forecast_from_kind(gql: Any) -> None:
    stages = [
        {"name": "Lead", "probability": 10},
        {"name": "Negotiation", "probability": 80, "forecastCategory": "COMMIT"},
        {"name": "Won", "probability": 100, "kind": "WON"},
        {"name": "Lost", "kind": "LOST"},
    ]

    data = await gql(CREATE_PIPELINE, {"input": {"name": "New business", "stages": stages}})

    assert data["createPipeline"]["errors"] == []
    pipeline = data["createPipeline"]["pipeline"]
    assert pipeline["isDefault"] is True  # the first pipeline
    assert pipeline["stages"]["nodes"] == [
        {
            "name": "Lead",
            "position": 0,
            "probability": 10,
            "kind": "OPEN",
            "forecastCategory": "PIPELINE",
        },
        {
            "name": "Negotiation",
            "position": 1,
            "probability": 80,
            "kind": "OPEN",
            "forecastCategory": "COMMIT",
        },
        {
            "name": "Won",
            "position": 2,
            "probability": 100,
            "kind": "WON",
            "forecastCategory": "CLOSED",
        },
        {
            "name": "Lost",
            "position": 3,
            "probability": 0,
            "kind": "LOST",
            "forecastCategory": "OMITTED",
        },
    ]


async def test_create_pipeline_with_a_duplicate_stage_name_creates_nothing(
    gql: Any, session_factory: Any
) -> None:
    stages = [{"name": "Lead"}, {"name": "Lead"}]

    data = await gql(CREATE_PIPELINE, {"input": {"name": "Dup", "stages": stages}})

    assert data["createPipeline"]["errors"] == [
        {"code": "DUPLICATE", "field": ["input", "stages", "1", "name"]}
    ]
    assert await _count(session_factory, Pipeline) == 0
    assert await _count(session_factory, Stage) == 0


async def test_forecast_category_must_fit_the_stage_kind(gql: Any) -> None:
    stages = [{"name": "Lead"}, {"name": "Won", "kind": "WON", "forecastCategory": "COMMIT"}]

    data = await gql(CREATE_PIPELINE, {"input": {"name": "Odd", "stages": stages}})

    assert data["createPipeline"]["errors"] == [
        {"code": "VALIDATION", "field": ["input", "stages", "1", "forecastCategory"]}
    ]


async def test_probability_outside_0_to_100_is_refused(gql: Any, make: Any) -> None:
    pipeline, _ = await make.pipeline()

    data = await gql(
        """mutation($p: ID!) { createStage(input: {pipelineId: $p, name: "X", probability: 101}) {
             stage { id } errors { code field } } }""",
        {"p": gid("Pipeline", pipeline)},
    )

    assert data["createStage"]["errors"] == [
        {"code": "VALIDATION", "field": ["input", "probability"]}
    ]


async def test_sales_rep_cannot_manage_pipelines(
    http: httpx.AsyncClient, settings: Any, session_factory: Any
) -> None:
    rep = _as(http, settings, "sales_rep")

    body = (
        await rep.raw(CREATE_PIPELINE, {"input": {"name": "Mine", "stages": [{"name": "A"}]}})
    ).json()

    assert [error["extensions"]["code"] for error in body["errors"]] == ["FORBIDDEN"]
    assert await _count(session_factory, Pipeline) == 0


async def test_sales_manager_can_manage_pipelines(http: httpx.AsyncClient, settings: Any) -> None:
    manager = _as(http, settings, "sales_manager")

    data = await manager(CREATE_PIPELINE, {"input": {"name": "Mine", "stages": [{"name": "A"}]}})

    assert data["createPipeline"]["errors"] == []


async def test_new_stage_is_added_at_the_end(gql: Any, make: Any) -> None:
    pipeline, _ = await make.pipeline()

    data = await gql(
        """mutation($p: ID!) { createStage(input: {pipelineId: $p, name: "Demo", probability: 30}) {
             stage { position forecastCategory pipeline { name } } errors { code } } }""",
        {"p": gid("Pipeline", pipeline)},
    )

    assert data["createStage"]["stage"] == {
        "position": 4,
        "forecastCategory": "PIPELINE",
        "pipeline": {"name": pipeline.name},
    }


async def test_changing_a_stages_kind_updates_its_default_forecast(gql: Any, make: Any) -> None:
    _, stages = await make.pipeline()

    data = await gql(
        """mutation($id: ID!) { updateStage(id: $id, input: {kind: WON, probability: 100}) {
             stage { kind probability forecastCategory } errors { code } } }""",
        {"id": gid("Stage", stages[1])},
    )

    assert data["updateStage"]["stage"] == {
        "kind": "WON",
        "probability": 100,
        "forecastCategory": "CLOSED",
    }


async def test_kind_of_a_stage_holding_deals_cannot_change(gql: Any, make: Any) -> None:
    _, stages = await make.pipeline()
    await make.deal(customer_id=(await make.customer()).id)

    data = await gql(
        """mutation($id: ID!) { updateStage(id: $id, input: {kind: WON}) {
             stage { kind } errors { code field } } }""",
        {"id": gid("Stage", stages[0])},
    )

    assert data["updateStage"]["errors"] == [{"code": "INVALID_STATE", "field": ["input", "kind"]}]


async def test_reorder_stages_puts_them_in_the_given_order(gql: Any, make: Any) -> None:
    pipeline, stages = await make.pipeline()
    order = [stages[1], stages[0], stages[3], stages[2]]

    data = await gql(
        """mutation($p: ID!, $ids: [ID!]!) { reorderStages(pipelineId: $p, stageIds: $ids) {
             pipeline { stages { nodes { name position } } } errors { code } } }""",
        {"p": gid("Pipeline", pipeline), "ids": [gid("Stage", stage) for stage in order]},
    )

    assert data["reorderStages"]["pipeline"]["stages"]["nodes"] == [
        {"name": "Proposal", "position": 0},
        {"name": "Lead", "position": 1},
        {"name": "Lost", "position": 2},
        {"name": "Won", "position": 3},
    ]


async def test_reorder_stages_must_list_every_stage_once(gql: Any, make: Any) -> None:
    pipeline, stages = await make.pipeline()

    data = await gql(
        """mutation($p: ID!, $ids: [ID!]!) { reorderStages(pipelineId: $p, stageIds: $ids) {
             pipeline { id } errors { code field } } }""",
        {"p": gid("Pipeline", pipeline), "ids": [gid("Stage", s) for s in stages[:3]]},
    )

    assert data["reorderStages"]["errors"] == [{"code": "VALIDATION", "field": ["stageIds"]}]
    assert await _stage_names(gql, pipeline) == ["Lead", "Proposal", "Won", "Lost"]


async def test_retired_stage_takes_no_deal_moved_into_it(gql: Any, make: Any) -> None:
    _, stages = await make.pipeline()
    deal = await make.deal(customer_id=(await make.customer()).id)
    await gql(
        "mutation($id: ID!) { retireStage(id: $id) { errors { code } } }",
        {"id": gid("Stage", stages[1])},
    )

    data = await gql(MOVE, {"id": gid("Deal", deal), "stage": gid("Stage", stages[1])})

    assert data["updateDeal"]["errors"] == [
        {"code": "INVALID_STATE", "field": ["input", "stageId"]}
    ]


async def test_retired_stage_takes_no_new_deal(gql: Any, make: Any) -> None:
    _, stages = await make.pipeline()
    customer = await make.customer()
    await gql(
        "mutation($id: ID!) { retireStage(id: $id) { errors { code } } }",
        {"id": gid("Stage", stages[1])},
    )

    data = await gql(
        """mutation($c: ID!, $s: ID!) {
             createDeal(input: {name: "D", customerId: $c, stageId: $s, amount: "1", currency: "EUR"}) {
               deal { id } errors { code field } } }""",
        {"c": gid("Customer", customer), "s": gid("Stage", stages[1])},
    )

    assert data["createDeal"]["errors"] == [
        {"code": "INVALID_STATE", "field": ["input", "stageId"]}
    ]


async def test_retiring_a_stage_keeps_its_deals_and_their_history(gql: Any, make: Any) -> None:
    _, stages = await make.pipeline()
    deal = await make.deal(customer_id=(await make.customer()).id, stage_id=stages[1].id)

    retired = await gql(
        "mutation($id: ID!) { retireStage(id: $id) { stage { retiredAt } errors { code } } }",
        {"id": gid("Stage", stages[1])},
    )
    data = await gql(
        """query($id: ID!) { node(id: $id) { ... on Deal {
             stage { name } history { nodes { toStage { name retiredAt } } } } } }""",
        {"id": gid("Deal", deal)},
    )

    assert retired["retireStage"]["stage"]["retiredAt"] is not None
    assert data["node"]["stage"] == {"name": "Proposal"}
    [change] = data["node"]["history"]["nodes"]
    assert change["toStage"]["name"] == "Proposal"
    assert change["toStage"]["retiredAt"] is not None


async def test_restored_stage_takes_deals_again(gql: Any, make: Any) -> None:
    _, stages = await make.pipeline()
    deal = await make.deal(customer_id=(await make.customer()).id)
    stage_id = gid("Stage", stages[1])
    await gql("mutation($id: ID!) { retireStage(id: $id) { errors { code } } }", {"id": stage_id})

    restored = await gql(
        "mutation($id: ID!) { restoreStage(id: $id) { stage { retiredAt } errors { code } } }",
        {"id": stage_id},
    )
    moved = await gql(MOVE, {"id": gid("Deal", deal), "stage": stage_id})

    assert restored["restoreStage"] == {"stage": {"retiredAt": None}, "errors": []}
    assert moved["updateDeal"]["deal"] == {"stage": {"name": "Proposal"}}


async def test_new_deals_start_in_the_first_stage_that_is_not_retired(gql: Any, make: Any) -> None:
    _, stages = await make.pipeline()
    await gql(
        "mutation($id: ID!) { retireStage(id: $id) { errors { code } } }",
        {"id": gid("Stage", stages[0])},
    )

    deal = await make.deal(customer_id=(await make.customer()).id)

    assert deal.stage_id == stages[1].id


async def test_the_last_open_stage_cannot_be_retired(gql: Any, make: Any) -> None:
    _, stages = await make.pipeline()
    retire = "mutation($id: ID!) { retireStage(id: $id) { stage { id } errors { code field } } }"
    await gql(retire, {"id": gid("Stage", stages[0])})

    data = await gql(retire, {"id": gid("Stage", stages[1])})

    assert data["retireStage"]["errors"] == [{"code": "INVALID_STATE", "field": ["id"]}]


async def test_making_a_pipeline_the_default_unsets_the_previous_one(gql: Any, make: Any) -> None:
    first, _ = await make.pipeline()
    second, _ = await make.pipeline(default=False)

    await gql(
        "mutation($id: ID!) { updatePipeline(id: $id, input: {isDefault: true}) { errors { code } } }",
        {"id": gid("Pipeline", second)},
    )
    data = await gql("{ pipelines { nodes { name isDefault } } }")

    assert {p["name"]: p["isDefault"] for p in data["pipelines"]["nodes"]} == {
        first.name: False,
        second.name: True,
    }


async def test_the_default_pipeline_cannot_just_stop_being_it(gql: Any, make: Any) -> None:
    pipeline, _ = await make.pipeline()

    data = await gql(
        """mutation($id: ID!) { updatePipeline(id: $id, input: {isDefault: false}) {
             pipeline { id } errors { code field } } }""",
        {"id": gid("Pipeline", pipeline)},
    )

    assert data["updatePipeline"]["errors"] == [
        {"code": "INVALID_STATE", "field": ["input", "isDefault"]}
    ]


async def test_pipeline_changes_are_audited(gql: Any, make: Any, session_factory: Any) -> None:
    pipeline, stages = await make.pipeline()

    await gql(
        'mutation($id: ID!) { updatePipeline(id: $id, input: {name: "Renamed"}) { errors { code } } }',
        {"id": gid("Pipeline", pipeline)},
    )
    await gql(
        "mutation($id: ID!) { retireStage(id: $id) { errors { code } } }",
        {"id": gid("Stage", stages[3])},
    )

    audit = table_of(AuditEntry)
    async with session_factory() as session:
        entries = (
            await session.execute(
                select(audit.c.action, audit.c.changes).order_by(audit.c.occurred_at)
            )
        ).all()
    assert [(action, sorted(changes)) for action, changes in entries] == [
        ("pipeline.updated", ["name"]),
        ("stage.updated", ["retired_at"]),
    ]
