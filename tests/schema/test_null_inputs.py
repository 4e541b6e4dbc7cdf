"""Explicit nulls in update inputs: refused for what may not be null, field by field."""

from typing import Any

from tests.factories import gid

UPDATE_TICKET = """
mutation($id: ID!, $input: UpdateTicketInput!) {
  updateTicket(id: $id, input: $input) { ticket { priority status } errors { code field } }
}"""


async def test_update_with_null_for_a_field_that_has_a_default_is_refused(
    gql: Any, make: Any
) -> None:
    # A ticket's priority is optional on create (it defaults to NORMAL) but never null: the
    # SLA rules read it, and a null used to reach them and fail as an internal error.
    customer = await make.customer()
    ticket = await make.ticket(customer_id=customer.id, priority="high")
    variables = {"id": gid("Ticket", ticket), "input": {"status": "RESOLVED", "priority": None}}

    data = await gql(UPDATE_TICKET, variables)
    after = await gql(
        "query($id: ID!) { node(id: $id) { ... on Ticket { priority status } } }",
        {"id": gid("Ticket", ticket)},
    )

    assert data["updateTicket"] == {
        "ticket": None,
        "errors": [{"code": "VALIDATION", "field": ["input", "priority"]}],
    }
    assert after["node"] == {"priority": "HIGH", "status": "NEW"}


async def test_update_with_null_for_a_list_that_defaults_to_empty_is_refused(gql: Any) -> None:
    # A policy's targets default to none on create; null is no list, and used to reach the
    # code that rewrites them.
    created = await gql(
        """mutation { createSlaPolicy(input: {name: "Standard", targets: [{priority: HIGH, firstResponseMinutes: 60}]}) {
            slaPolicy { id } } }"""
    )
    policy_id = created["createSlaPolicy"]["slaPolicy"]["id"]

    data = await gql(
        """mutation($id: ID!) { updateSlaPolicy(id: $id, input: {targets: null}) {
            slaPolicy { id } errors { code field } } }""",
        {"id": policy_id},
    )
    after = await gql(
        "query($id: ID!) { node(id: $id) { ... on SlaPolicy { targets { priority } } } }",
        {"id": policy_id},
    )

    assert data["updateSlaPolicy"] == {
        "slaPolicy": None,
        "errors": [{"code": "VALIDATION", "field": ["input", "targets"]}],
    }
    assert after["node"] == {"targets": [{"priority": "HIGH"}]}
