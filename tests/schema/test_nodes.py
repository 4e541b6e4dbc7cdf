"""Relay node lookup by global id."""

from typing import Any

from tests.factories import gid


async def test_node_returns_any_type_by_its_global_id(gql: Any, make: Any) -> None:
    customer = await make.customer(name="Acme")
    ticket = await make.ticket(subject="Broken", customer_id=customer.id)

    data = await gql(
        """query($c: ID!, $t: ID!) {
          c: node(id: $c) { __typename id ... on Customer { name } }
          t: node(id: $t) { __typename ... on Ticket { subject customer { name } } }
        }""",
        {"c": gid("Customer", customer), "t": gid("Ticket", ticket)},
    )

    assert data["c"] == {"__typename": "Customer", "id": gid("Customer", customer), "name": "Acme"}
    assert data["t"] == {"__typename": "Ticket", "subject": "Broken", "customer": {"name": "Acme"}}


async def test_node_of_an_unknown_id_is_null(gql: Any, make: Any) -> None:
    customer = await make.customer()
    other = gid("Deal", customer)  # a valid id of a deal that does not exist

    data = await gql("query($id: ID!) { node(id: $id) { id } }", {"id": other})

    assert data["node"] is None


async def test_node_of_a_malformed_id_is_bad_user_input(gql: Any) -> None:
    errors = await gql.errors('{ node(id: "not-an-id") { id } }')

    assert errors[0]["extensions"] == {"code": "BAD_USER_INPUT", "argument": "id"}


async def test_nodes_returns_each_id_in_order_with_nulls_for_missing(gql: Any, make: Any) -> None:
    first = await make.customer(name="First")
    second = await make.contact(last_name="Second")
    missing = gid("Customer", second)

    data = await gql(
        "query($ids: [ID!]!) { nodes(ids: $ids) { ... on Customer { name } ... on Contact { lastName } } }",
        {"ids": [gid("Contact", second), missing, gid("Customer", first)]},
    )

    assert data["nodes"] == [{"lastName": "Second"}, None, {"name": "First"}]


async def test_nodes_refuses_more_than_one_hundred_ids(gql: Any, make: Any) -> None:
    customer = await make.customer()

    errors = await gql.errors(
        "query($ids: [ID!]!) { nodes(ids: $ids) { id } }",
        {"ids": [gid("Customer", customer)] * 101},
    )

    assert errors[0]["extensions"]["code"] == "BAD_USER_INPUT"
