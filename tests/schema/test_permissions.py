"""Who may read and write what: every role and scope against every type and mutation."""

from typing import Any

import httpx
import pytest

from app.http.auth import issue_token
from kernel.permissions import READ_SCOPES, ROLE_SCOPES, WRITE_SCOPES, Scope
from kernel.principal import Principal, PrincipalKind
from tests.conftest import GraphQLClient
from tests.factories import gid

LISTS = {
    "customers": "customer",
    "contacts": "contact",
    "interactions": "interaction",
    "purchases": "purchase",
    "pipelines": "pipeline",
    "deals": "deal",
    "campaigns": "campaign",
    "campaignMembers": "campaign_member",
    "tickets": "ticket",
    "users": "user",
    "teams": "team",
}

# A well-typed create per entity; its input is invalid, so an allowed call writes nothing
# and answers with VALIDATION errors, while a forbidden one answers FORBIDDEN.
CREATES = {
    "customer": 'createCustomer(input: {name: ""})',
    "contact": 'createContact(input: {email: "x"})',
    "interaction": 'createInteraction(input: {kind: CALL, occurredAt: "2026-01-01T00:00:00Z", subject: ""})',
    "purchase": 'createPurchase(input: {customerId: "x", number: "", currency: "x", occurredAt: "2026-01-01T00:00:00Z"})'.replace(
        "occurredAt", "orderedAt"
    ),
    "deal": 'createDeal(input: {name: "", customerId: "x", amount: "-1", currency: "x"})',
    "campaign": 'createCampaign(input: {name: "", channel: EMAIL})',
    "campaign_member": 'createCampaignMember(input: {campaignId: "x", contactId: "x"})',
    "ticket": 'createTicket(input: {subject: ""})',
    "ticket_comment": 'createTicketComment(input: {ticketId: "x", body: ""})',
}


def client_for(http: httpx.AsyncClient, settings: Any, principal: Principal) -> GraphQLClient:
    return GraphQLClient(http, issue_token(settings, principal))


async def partner_with(
    make: Any, http: httpx.AsyncClient, settings: Any, *scopes: str
) -> GraphQLClient:
    """A registered API client holding exactly ``scopes``."""
    await make.api_client("partner", list(scopes))
    principal = Principal("partner", PrincipalKind.CLIENT, scopes=frozenset(scopes))
    return client_for(http, settings, principal)


def role_client(http: httpx.AsyncClient, settings: Any, role: str) -> GraphQLClient:
    return client_for(http, settings, Principal(f"op-{role}", PrincipalKind.OPERATOR, role=role))


def _codes(body: dict[str, Any]) -> set[str]:
    return {error["extensions"]["code"] for error in body.get("errors", [])}


@pytest.mark.parametrize("role", sorted(ROLE_SCOPES))
@pytest.mark.parametrize("field", sorted(LISTS))
async def test_list_is_readable_exactly_with_its_read_scope(
    http: httpx.AsyncClient, settings: Any, role: str, field: str
) -> None:
    gql = role_client(http, settings, role)

    body = (await gql.raw(f"{{ {field} {{ totalCount }} }}")).json()

    allowed = READ_SCOPES[LISTS[field]] in ROLE_SCOPES[role]
    assert _codes(body) == (set() if allowed else {"FORBIDDEN"})


@pytest.mark.parametrize("role", sorted(ROLE_SCOPES))
@pytest.mark.parametrize("entity", sorted(CREATES))
async def test_mutation_runs_exactly_with_its_write_scope(
    http: httpx.AsyncClient, settings: Any, role: str, entity: str
) -> None:
    gql = role_client(http, settings, role)

    body = (await gql.raw(f"mutation {{ {CREATES[entity]} {{ errors {{ code }} }} }}")).json()

    allowed = WRITE_SCOPES[entity] in ROLE_SCOPES[role]
    if allowed:
        assert "errors" not in body, body
        [payload] = body["data"].values()
        assert payload["errors"], "the invalid input must be refused"
    else:
        assert _codes(body) == {"FORBIDDEN"}


async def test_api_client_gets_only_its_granted_scopes(
    http: httpx.AsyncClient, settings: Any, make: Any
) -> None:
    customer = await make.customer(name="Acme")
    await make.contact(customer_id=customer.id, email="ada@example.com", phone="+49 30 1234")
    partner = await partner_with(make, http, settings, "customers:read", "contacts:read")

    customers = await partner("{ customers { nodes { name contacts { nodes { email phone } } } } }")
    deals = (await partner.raw("{ deals { totalCount } }")).json()

    assert customers["customers"]["nodes"] == [
        {"name": "Acme", "contacts": {"nodes": [{"email": "a***@example.com", "phone": "***-34"}]}}
    ]
    assert _codes(deals) == {"FORBIDDEN"}


async def test_nested_field_of_a_type_without_scope_is_forbidden(
    http: httpx.AsyncClient, settings: Any, make: Any
) -> None:
    await make.customer()
    partner = await partner_with(make, http, settings, "customers:read")

    body = (await partner.raw("{ customers { nodes { name deals { totalCount } } } }")).json()

    assert _codes(body) == {"FORBIDDEN"}
    assert body["errors"][0]["extensions"]["scope"] == Scope.DEALS_READ.value


async def test_node_of_a_type_without_scope_answers_as_if_missing(
    http: httpx.AsyncClient, settings: Any, make: Any
) -> None:
    deal_customer = await make.customer()
    partner = await partner_with(make, http, settings, "deals:read")

    data = await partner(
        "query($id: ID!) { node(id: $id) { id } }", {"id": gid("Customer", deal_customer)}
    )

    assert data == {"node": None}


async def test_pii_is_shown_with_the_pii_scope(gql: Any, make: Any) -> None:
    await make.contact(email="ada@example.com", phone="+49 30 1234")

    data = await gql("{ contacts { nodes { email phone } } }")

    assert data["contacts"]["nodes"] == [{"email": "ada@example.com", "phone": "+49 30 1234"}]


async def test_read_only_users_see_masked_pii(
    http: httpx.AsyncClient, settings: Any, make: Any
) -> None:
    await make.contact(email="ada@example.com", phone=None)
    viewer = role_client(http, settings, "read_only")

    data = await viewer("{ contacts { nodes { email phone } } }")

    assert data["contacts"]["nodes"] == [{"email": "a***@example.com", "phone": None}]
