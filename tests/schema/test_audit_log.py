"""Every change leaves an audit entry in its own transaction; admins read them, nobody edits them."""

from typing import Any

import httpx

from app.http.auth import issue_token
from kernel.principal import Principal, PrincipalKind
from schema import schema
from tests.conftest import GraphQLClient
from tests.factories import gid

AUDIT = """
query($filter: AuditEntryFilter) {
  auditLog(filter: $filter, orderBy: {field: OCCURRED_AT}) {
    totalCount
    nodes { actor action entityType entity changes requestId clientIp }
  }
}
"""


async def test_update_is_audited_with_before_and_after_and_the_request(gql: Any, make: Any) -> None:
    customer = await make.customer(name="Acme", industry="Retail")
    await gql(
        'mutation($id: ID!) { updateCustomer(id: $id, input: {industry: "Software"}) { errors { code } } }',
        {"id": gid("Customer", customer)},
    )

    data = await gql(AUDIT, {"filter": {"action": {"eq": "customer.updated"}}})

    [entry] = data["auditLog"]["nodes"]
    assert entry["actor"] == "operator:tests"
    assert entry["entityType"] == "customer"
    assert entry["entity"] == gid("Customer", customer)
    assert entry["changes"] == {"industry": {"old": "Retail", "new": "Software"}}
    assert len(entry["requestId"]) == 32
    assert entry["clientIp"] == "127.0.0.1"


async def test_every_mutation_kind_is_audited(gql: Any, make: Any) -> None:
    customer = await make.customer(name="Acme")
    customer_id = gid("Customer", customer)
    for mutation in (
        'updateCustomer(id: $id, input: {name: "Acme 2"})',
        "deleteCustomer(id: $id)",
        "restoreCustomer(id: $id)",
    ):
        await gql(
            f"mutation($id: ID!) {{ {mutation} {{ errors {{ code }} }} }}", {"id": customer_id}
        )
    await gql(
        'mutation { upsertCustomers(inputs: [{name: "Globex", externalId: "E1"}]) { index } }'
    )

    data = await gql(AUDIT)

    assert [entry["action"] for entry in data["auditLog"]["nodes"]] == [
        "customer.created",
        "customer.updated",
        "customer.deleted",
        "customer.restored",
        "customer.created",
    ]


async def test_creating_each_entity_is_audited(gql: Any, make: Any) -> None:
    await make.pipeline()
    customer = await make.customer()
    contact = await make.contact(customer_id=customer.id, marketing_opt_in=True)
    campaign = await make.campaign()
    ticket = await make.ticket(customer_id=customer.id)
    await make.member(campaign_id=campaign.id, contact_id=contact.id)
    await make.deal(customer_id=customer.id)
    await make.comment(ticket_id=ticket.id)
    await make.interaction(customer_id=customer.id)
    await make.purchase(customer_id=customer.id)

    data = await gql(AUDIT)

    assert sorted(entry["action"] for entry in data["auditLog"]["nodes"]) == [
        "campaign.created",
        "campaign_member.created",
        "contact.created",
        "customer.created",
        "deal.created",
        "interaction.created",
        "purchase.created",
        "ticket.created",
        "ticket_comment.created",
    ]


async def test_a_refused_mutation_leaves_no_audit_entry(gql: Any) -> None:
    await gql('mutation { createCustomer(input: {name: ""}) { errors { code } } }')

    data = await gql(AUDIT)

    assert data["auditLog"]["totalCount"] == 0


async def test_audit_log_filters_by_actor_entity_and_time(gql: Any, make: Any) -> None:
    first = await make.customer(name="First")
    await make.customer(name="Second")

    by_entity = await gql(AUDIT, {"filter": {"entityId": {"eq": gid("Customer", first)}}})
    by_actor = await gql(AUDIT, {"filter": {"actor": {"eq": "system:system"}}})
    in_future = await gql(AUDIT, {"filter": {"occurredAt": {"gt": "2100-01-01T00:00:00Z"}}})

    assert by_entity["auditLog"]["totalCount"] == 1
    assert by_actor["auditLog"]["totalCount"] == 2
    assert in_future["auditLog"]["totalCount"] == 0


async def test_audit_log_needs_the_audit_scope(http: httpx.AsyncClient, settings: Any) -> None:
    manager = Principal("m", PrincipalKind.OPERATOR, role="sales_manager")
    client = GraphQLClient(http, issue_token(settings, manager))

    errors = await client.errors(AUDIT)

    assert errors[0]["extensions"]["code"] == "FORBIDDEN"


def test_no_mutation_can_change_the_audit_log() -> None:
    mutation_type = schema._schema.mutation_type
    assert mutation_type is not None

    assert [name for name in mutation_type.fields if "audit" in name.lower()] == []
