"""Row-level visibility: sales see their team's records, managers their team and reports,
support the tickets and the customers behind them."""

from typing import Any

import httpx
import pytest

from app.http.auth import issue_token
from kernel.principal import Principal, PrincipalKind
from tests.conftest import GraphQLClient
from tests.factories import gid


def as_user(http: httpx.AsyncClient, settings: Any, user: Any) -> GraphQLClient:
    principal = Principal(user.email, PrincipalKind.USER, role=user.role, user_id=user.id)
    return GraphQLClient(http, issue_token(settings, principal))


@pytest.fixture
async def org(make: Any) -> dict[str, Any]:
    """Two sales teams; each rep owns one customer with a deal and a ticket."""
    north, south = await make.team(name="North"), await make.team(name="South")
    manager = await make.user(name="Nora", role="sales_manager", team_id=north.id)
    rep_north = await make.user(
        name="Ned", role="sales_rep", team_id=north.id, manager_id=manager.id
    )
    rep_south = await make.user(name="Sam", role="sales_rep", team_id=south.id)
    report_south = await make.user(
        name="Sid", role="sales_rep", team_id=south.id, manager_id=manager.id
    )
    support = await make.user(name="Sue", role="support")
    await make.pipeline()
    records: dict[str, Any] = {
        "manager": manager,
        "ned": rep_north,
        "sam": rep_south,
        "sid": report_south,
        "sue": support,
    }
    for owner in (rep_north, rep_south, report_south):
        customer = await make.customer(name=f"{owner.name} Corp", owner_id=owner.id)
        await make.contact(customer_id=customer.id, last_name=f"{owner.name} Contact")
        await make.deal(name=f"{owner.name} Deal", customer_id=customer.id, owner_id=owner.id)
        records[f"{owner.name.lower()}_customer"] = customer
    await make.ticket(subject="Help", customer_id=records["sam_customer"].id)
    await make.customer(name="Nobody's")
    return records


def _names(data: dict[str, Any], field: str) -> list[str]:
    return sorted(node["name"] for node in data[field]["nodes"])


async def test_sales_rep_sees_the_customers_of_their_team(
    http: httpx.AsyncClient, settings: Any, org: dict[str, Any]
) -> None:
    data = await as_user(http, settings, org["sam"])(
        "{ customers { totalCount nodes { name } } deals { nodes { name } } }"
    )

    assert data["customers"]["totalCount"] == 2
    assert _names(data, "customers") == ["Sam Corp", "Sid Corp"]
    assert _names(data, "deals") == ["Sam Deal", "Sid Deal"]


async def test_sales_manager_sees_their_team_and_their_reports(
    http: httpx.AsyncClient, settings: Any, org: dict[str, Any]
) -> None:
    data = await as_user(http, settings, org["manager"])("{ customers { nodes { name } } }")

    assert _names(data, "customers") == ["Ned Corp", "Sid Corp"]


async def test_support_sees_customers_behind_tickets_only(
    http: httpx.AsyncClient, settings: Any, org: dict[str, Any]
) -> None:
    data = await as_user(http, settings, org["sue"])(
        "{ customers { nodes { name contacts { nodes { lastName } } } } tickets { totalCount } }"
    )

    assert data["customers"]["nodes"] == [
        {"name": "Sam Corp", "contacts": {"nodes": [{"lastName": "Sam Contact"}]}}
    ]
    assert data["tickets"]["totalCount"] == 1


async def test_node_of_an_invisible_row_answers_as_if_missing(
    http: httpx.AsyncClient, settings: Any, org: dict[str, Any]
) -> None:
    data = await as_user(http, settings, org["ned"])(
        "query($id: ID!) { node(id: $id) { id } }", {"id": gid("Customer", org["sam_customer"])}
    )

    assert data == {"node": None}


async def test_updating_an_invisible_row_is_not_found(
    http: httpx.AsyncClient, settings: Any, org: dict[str, Any]
) -> None:
    data = await as_user(http, settings, org["ned"])(
        'mutation($id: ID!) { updateCustomer(id: $id, input: {name: "Mine"}) { errors { code } } }',
        {"id": gid("Customer", org["sam_customer"])},
    )

    assert data["updateCustomer"]["errors"] == [{"code": "NOT_FOUND"}]


async def test_referencing_an_invisible_row_is_an_invalid_reference(
    http: httpx.AsyncClient, settings: Any, org: dict[str, Any]
) -> None:
    data = await as_user(http, settings, org["ned"])(
        """mutation($c: ID!) { createDeal(input: {name: "Steal", customerId: $c, amount: "1", currency: "EUR"}) {
            errors { code field } } }""",
        {"c": gid("Customer", org["sam_customer"])},
    )

    assert data["createDeal"]["errors"] == [
        {"code": "INVALID_REFERENCE", "field": ["input", "customerId"]}
    ]


async def test_to_one_relation_to_an_invisible_row_is_null(
    http: httpx.AsyncClient, settings: Any, org: dict[str, Any], make: Any
) -> None:
    # Ned owns a deal at a customer of the south team: he sees the deal, not the customer.
    await make.deal(name="Cross", customer_id=org["sam_customer"].id, owner_id=org["ned"].id)

    data = await as_user(http, settings, org["ned"])(
        '{ deals(filter: {name: {eq: "Cross"}}) { nodes { name customer { name } } } }'
    )

    assert data["deals"]["nodes"] == [{"name": "Cross", "customer": None}]


async def test_filters_on_related_rows_ignore_rows_the_user_cannot_see(
    http: httpx.AsyncClient, settings: Any, org: dict[str, Any], make: Any
) -> None:
    # Ned owns a contact at a south customer: filtering by that customer must not reveal it.
    await make.contact(customer_id=org["sam_customer"].id, owner_id=org["ned"].id, last_name="Mole")
    ned = as_user(http, settings, org["ned"])

    by_customer = await ned(
        '{ contacts(filter: {customer: {name: {eq: "Sam Corp"}}}) { totalCount } }'
    )
    own = await ned('{ contacts(filter: {lastName: {eq: "Mole"}}) { totalCount } }')

    assert by_customer["contacts"]["totalCount"] == 0
    assert own["contacts"]["totalCount"] == 1


async def test_some_and_none_relation_filters_ignore_related_rows_the_user_cannot_see(
    http: httpx.AsyncClient, settings: Any, org: dict[str, Any], make: Any
) -> None:
    # Sam's deal names Ned's contact: Ned must not learn from a filter that the deal exists.
    contact = await make.contact(customer_id=org["ned_customer"].id, last_name="Mole")
    await make.deal(
        name="Hidden",
        customer_id=org["sam_customer"].id,
        owner_id=org["sam"].id,
        contact_id=contact.id,
    )
    ned = as_user(http, settings, org["ned"])

    data = await ned(
        """{ some: contacts(filter: {deals: {some: {name: {eq: "Hidden"}}}}) { totalCount }
             none: contacts(filter: {lastName: {eq: "Mole"}, deals: {none: {}}}) { totalCount } }"""
    )

    assert data == {"some": {"totalCount": 0}, "none": {"totalCount": 1}}
