"""The planned executor answers exactly as graphql-core does, and serves what it covers itself.

Each document below runs through two apps over the same database, one per executor, and the two
bodies (data and errors) must be identical; a second set of tests shows which operations the
plan serves without graphql-core and which it leaves to it.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

import schema as graphql_schema
from app.http.auth import issue_token
from kernel.principal import Principal
from tests.factories import gid
from tests.schema.conftest import ADMIN, PARTNER, READ_ONLY, Both

NESTED = """
query Nested($first: Int!, $after: String) {
  customers(first: $first, after: $after, orderBy: {field: NAME}) {
    __typename
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor __typename }
    edges { cursor node { id name } }
    nodes {
      id name domain industry employees lifecycleStage creditStatus tags createdAt deletedAt
      owner { id name email }
      contacts(first: 5) {
        totalCount
        nodes { id firstName lastName email phone marketingOptIn customer { id name } }
      }
      deals(first: 3, orderBy: {field: AMOUNT, direction: DESC}) {
        nodes { id name amount currency expectedCloseDate stage { id name probability kind } }
      }
      tickets(first: 2) { edges { cursor node { id subject status priority } } }
    }
  }
}
"""

FRAGMENTS = """
fragment Person on Contact { firstName lastName ...Reach }
fragment Reach on Contact { email phone }
query Fragments($withDeals: Boolean!, $skipTickets: Boolean!) {
  first: customers(first: 4) { nodes { ...on Customer { name } label: name ...Named } }
  second: customers(first: 2, orderBy: {field: CREATED_AT, direction: DESC}) {
    count: totalCount
    nodes {
      people: contacts(first: 2) { nodes { ...Person id } }
      contacts(first: 1) { nodes { __typename email } }
      deals(first: 2) @include(if: $withDeals) { nodes { name } }
      tickets(first: 2) @skip(if: $skipTickets) { totalCount }
    }
  }
}
fragment Named on Customer { id name }
"""

FILTERED = """
query Filtered($stage: LifecycleStage!) {
  customers(first: 10, filter: {lifecycleStage: {eq: $stage}}, orderBy: {field: NAME}) {
    totalCount
    nodes {
      name
      contacts(first: 3, filter: {marketingOptIn: {eq: true}}) { totalCount nodes { lastName } }
      deals(filter: {stage: {kind: {eq: OPEN}}}) { totalCount }
    }
  }
  contacts(first: 5, search: "a") { totalCount nodes { lastName email } }
  deals(first: 5, orderBy: {field: AMOUNT}) { nodes { name amount customer { name } } }
}
"""

LOOKUPS = """
query Lookups($id: ID!, $ids: [ID!]!) {
  node(id: $id) { __typename id ... on Customer { name contacts(first: 2) { nodes { email } } } }
  nodes(ids: $ids) {
    id
    ... on Customer { name }
    ... on Contact { firstName customer { name } }
    ... on Deal { amount stage { name } }
  }
}
"""

ERRORS = (
    ("query { customers(first: 1000) { nodes { id } } }", None),
    ('query { customers(first: 2, after: "not-a-cursor") { nodes { id } } }', None),
    ("query { customers(first: 2) { nodes { contacts(first: -1) { nodes { id } } } } }", None),
    ('query { node(id: "bm90LWFuLWlk") { id } }', None),
    ("query($f: Int!) { customers(first: $f) { nodes { id } } }", {"f": "many"}),
)


@pytest.mark.parametrize("principal", [ADMIN, READ_ONLY, PARTNER], ids=lambda p: p.subject)
async def test_nested_pages_answer_alike(both: Both, seeded: None, principal: Principal) -> None:
    planned, core = await both.bodies(principal, NESTED, {"first": 12})

    assert planned == core


async def test_following_pages_answer_alike(both: Both, seeded: None) -> None:
    _, first = await both.bodies(ADMIN, NESTED, {"first": 7})
    after = first[1]["data"]["customers"]["pageInfo"]["endCursor"]

    planned, core = await both.bodies(ADMIN, NESTED, {"first": 7, "after": after})

    assert planned == core
    assert planned[1]["data"]["customers"]["pageInfo"]["hasPreviousPage"] is True


@pytest.mark.parametrize(
    "variables",
    [
        {"withDeals": True, "skipTickets": False},
        {"withDeals": False, "skipTickets": True},
        {"withDeals": True, "skipTickets": True},
    ],
)
async def test_fragments_aliases_and_directives_answer_alike(
    both: Both, seeded: None, variables: dict[str, Any]
) -> None:
    planned, core = await both.bodies(READ_ONLY, FRAGMENTS, variables)

    assert planned == core


async def test_filters_search_and_orderings_answer_alike(both: Both, seeded: None) -> None:
    planned, core = await both.bodies(ADMIN, FILTERED, {"stage": "CUSTOMER"})

    assert planned == core
    assert planned[1]["data"]["customers"]["totalCount"] > 0


async def test_node_lookups_answer_alike(both: Both, seeded: None, make: Any) -> None:
    customer = await make.customer(name="Lookup Ltd")
    contact = await make.contact(customer_id=customer.id, email="look@example.com")
    ids = [
        gid("Contact", contact),
        gid("Customer", customer),
        "Q3VzdG9tZXI6bm8=",
        gid("Customer", contact),
    ]

    for principal in (ADMIN, READ_ONLY, PARTNER):
        planned, core = await both.bodies(
            principal, LOOKUPS, {"id": gid("Customer", customer), "ids": ids}
        )
        assert planned == core


@pytest.mark.parametrize(("query", "variables"), ERRORS)
async def test_errors_answer_alike(
    both: Both, seeded: None, query: str, variables: dict[str, Any] | None
) -> None:
    planned, core = await both.bodies(ADMIN, query, variables)

    assert planned == core
    assert planned[1]["errors"]


async def test_a_missing_scope_answers_alike(both: Both, seeded: None) -> None:
    query = "query { customers(first: 3) { nodes { name deals(first: 2) { nodes { name } } } } }"

    planned, core = await both.bodies(PARTNER, query)

    assert planned == core
    assert {e["extensions"]["code"] for e in planned[1]["errors"]} == {"FORBIDDEN"}


async def test_row_visibility_answers_alike(both: Both, sales_rep: Principal) -> None:
    planned, core = await both.bodies(sales_rep, NESTED, {"first": 30})

    assert planned == core
    assert 0 < planned[1]["data"]["customers"]["totalCount"] < 30


@pytest.fixture
def graphql_core_runs(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The operations graphql-core executed (the planner serves the others)."""
    runs: list[str] = []
    execute = graphql_schema.schema.execute

    async def recording(query: str, *args: Any, **kwargs: Any) -> Any:
        runs.append(query)
        return await execute(query, *args, **kwargs)

    monkeypatch.setattr(graphql_schema.schema, "execute", recording)
    return runs


@pytest.mark.parametrize(
    "query", [NESTED, FRAGMENTS, FILTERED], ids=["nested", "fragments", "filtered"]
)
async def test_lists_and_relations_are_served_by_the_plan(
    both: Both, seeded: None, graphql_core_runs: list[str], query: str
) -> None:
    variables = {"first": 5, "withDeals": True, "skipTickets": False, "stage": "LEAD"}
    (status, body), _ = await _planned_only(both, ADMIN, query, variables)

    assert status == 200
    assert "errors" not in body, body
    assert graphql_core_runs == []


async def test_node_lookups_are_served_by_the_plan(
    both: Both, make: Any, graphql_core_runs: list[str]
) -> None:
    customer = await make.customer(name="Planned Ltd")
    variables = {"id": gid("Customer", customer), "ids": [gid("Customer", customer)]}

    (_, body), _ = await _planned_only(both, ADMIN, LOOKUPS, variables)

    assert body["data"]["node"]["name"] == "Planned Ltd"
    assert body["data"]["nodes"] == [{"id": gid("Customer", customer), "name": "Planned Ltd"}]
    assert graphql_core_runs == []


async def test_masked_fields_are_masked_by_the_plan(
    both: Both, make: Any, graphql_core_runs: list[str]
) -> None:
    customer = await make.customer(name="Masked Ltd")
    await make.contact(customer_id=customer.id, email="person@example.com")
    query = "query { contacts(first: 1) { nodes { email } } }"

    (_, body), _ = await _planned_only(both, READ_ONLY, query)

    assert body["data"]["contacts"]["nodes"][0]["email"] != "person@example.com"
    assert body["data"]["contacts"]["nodes"][0]["email"].endswith("@example.com")
    assert graphql_core_runs == []


@pytest.mark.parametrize(
    "query",
    [
        'mutation { createCustomer(input: {name: "Via Core"}) { customer { name } } }',
        "query { __schema { queryType { name } } }",
        "query { segments(first: 1) { nodes { count } } }",
    ],
    ids=["mutation", "introspection", "computed field"],
)
async def test_what_the_plan_does_not_cover_goes_to_graphql_core(
    both: Both, graphql_core_runs: list[str], query: str
) -> None:
    (status, body), _ = await _planned_only(both, ADMIN, query)

    assert status == 200
    assert "errors" not in body, body
    assert graphql_core_runs == [query]


async def _planned_only(
    both: Both, principal: Principal, query: str, variables: dict[str, Any] | None = None
) -> tuple[Any, None]:
    headers = {"authorization": f"Bearer {issue_token(both.settings, principal)}"}
    transport = httpx.ASGITransport(app=both.apps[0])
    async with httpx.AsyncClient(transport=transport, base_url="http://crm.test") as http:
        response = await http.post(
            "/graphql", json={"query": query, "variables": variables}, headers=headers
        )
    return (response.status_code, response.json()), None
