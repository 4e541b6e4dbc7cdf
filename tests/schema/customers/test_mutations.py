"""Create, update, delete and restore through GraphQL: typed errors, versions, nothing half-written."""

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models import Customer, Event
from tests.factories import gid

CREATE = """
mutation Create($input: CreateCustomerInput!) {
  createCustomer(input: $input) {
    customer { id name domain version lifecycleStage tags }
    errors { code field message }
  }
}
"""
UPDATE = """
mutation Update($id: ID!, $input: UpdateCustomerInput!, $version: Int) {
  updateCustomer(id: $id, input: $input, expectedVersion: $version) {
    customer { name industry version }
    errors { code field message }
  }
}
"""
DELETE = "mutation($id: ID!) { deleteCustomer(id: $id) { customer { deletedAt } errors { code field } } }"
RESTORE = (
    "mutation($id: ID!) { restoreCustomer(id: $id) { customer { deletedAt } errors { code } } }"
)


async def _count(session_factory: async_sessionmaker[AsyncSession], model: Any) -> int:
    async with session_factory() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_create_customer_returns_it_at_version_one(gql: Any) -> None:
    data = await gql(CREATE, {"input": {"name": " Acme ", "domain": "ACME.com", "tags": ["vip"]}})

    payload = data["createCustomer"]
    assert payload["errors"] == []
    assert payload["customer"]["name"] == "Acme"
    assert payload["customer"]["domain"] == "acme.com"
    assert payload["customer"]["version"] == 1
    assert payload["customer"]["lifecycleStage"] == "LEAD"
    assert payload["customer"]["tags"] == ["vip"]


async def test_create_with_invalid_fields_returns_each_error_and_writes_nothing(
    gql: Any, session_factory: Any
) -> None:
    data = await gql(
        CREATE, {"input": {"name": "", "domain": "not a domain", "country": "Germany"}}
    )

    payload = data["createCustomer"]
    assert payload["customer"] is None
    assert {tuple(e["field"]) for e in payload["errors"]} == {
        ("input", "name"),
        ("input", "domain"),
        ("input", "country"),
    }
    assert {e["code"] for e in payload["errors"]} == {"VALIDATION"}
    assert await _count(session_factory, Customer) == 0
    assert await _count(session_factory, Event) == 0


async def test_create_with_unknown_owner_is_an_invalid_reference(gql: Any, make: Any) -> None:
    team = await make.team()
    data = await gql(CREATE, {"input": {"name": "Acme", "ownerId": gid("User", team)}})

    assert data["createCustomer"]["errors"] == [
        {
            "code": "INVALID_REFERENCE",
            "field": ["input", "ownerId"],
            "message": "no users with this id",
        }
    ]


async def test_create_with_malformed_id_is_a_validation_error(gql: Any) -> None:
    data = await gql(CREATE, {"input": {"name": "Acme", "ownerId": "garbage"}})

    [error] = data["createCustomer"]["errors"]
    assert (error["code"], error["field"]) == ("VALIDATION", ["input", "ownerId"])


async def test_create_with_taken_external_id_is_a_duplicate(gql: Any, make: Any) -> None:
    await make.customer(external_id="ERP-1")

    data = await gql(CREATE, {"input": {"name": "Other", "externalId": "ERP-1"}})

    [error] = data["createCustomer"]["errors"]
    assert (error["code"], error["field"]) == ("DUPLICATE", ["input", "externalId"])


async def test_update_changes_only_given_fields_and_bumps_version(gql: Any, make: Any) -> None:
    customer = await make.customer(name="Acme", industry="Retail")

    data = await gql(UPDATE, {"id": gid("Customer", customer), "input": {"industry": "Software"}})

    assert data["updateCustomer"] == {
        "customer": {"name": "Acme", "industry": "Software", "version": 2},
        "errors": [],
    }


async def test_update_with_stale_version_returns_conflict_and_changes_nothing(
    gql: Any, make: Any
) -> None:
    customer = await make.customer(name="Acme")
    await gql(UPDATE, {"id": gid("Customer", customer), "input": {"name": "Acme 2"}, "version": 1})

    data = await gql(
        UPDATE, {"id": gid("Customer", customer), "input": {"name": "Acme 3"}, "version": 1}
    )

    [error] = data["updateCustomer"]["errors"]
    assert (error["code"], error["field"]) == ("CONFLICT", ["expectedVersion"])
    current = await gql(
        "query($id: ID!) { node(id: $id) { ... on Customer { name version } } }",
        {"id": gid("Customer", customer)},
    )
    assert current["node"] == {"name": "Acme 2", "version": 2}


async def test_update_setting_a_required_field_to_null_is_refused(gql: Any, make: Any) -> None:
    customer = await make.customer()

    data = await gql(UPDATE, {"id": gid("Customer", customer), "input": {"name": None}})

    [error] = data["updateCustomer"]["errors"]
    assert (error["code"], error["field"]) == ("VALIDATION", ["input", "name"])


async def test_update_of_unknown_customer_is_not_found(gql: Any, make: Any) -> None:
    contact = await make.contact()

    data = await gql(UPDATE, {"id": gid("Contact", contact), "input": {"name": "X"}})

    [error] = data["updateCustomer"]["errors"]
    assert (error["code"], error["field"]) == ("NOT_FOUND", ["id"])


async def test_delete_hides_the_customer_from_lists_and_restore_brings_it_back(
    gql: Any, make: Any
) -> None:
    customer = await make.customer(name="Acme")
    customer_id = gid("Customer", customer)

    deleted = await gql(DELETE, {"id": customer_id})
    listed = await gql("{ customers { totalCount } }")
    trashed = await gql("{ customers(includeDeleted: true) { nodes { name deletedAt } } }")
    restored = await gql(RESTORE, {"id": customer_id})
    relisted = await gql("{ customers { nodes { name } } }")

    assert deleted["deleteCustomer"]["customer"]["deletedAt"] is not None
    assert listed["customers"]["totalCount"] == 0
    assert trashed["customers"]["nodes"][0]["deletedAt"] is not None
    assert restored["restoreCustomer"] == {"customer": {"deletedAt": None}, "errors": []}
    assert relisted["customers"]["nodes"] == [{"name": "Acme"}]


async def test_deleting_twice_is_an_invalid_state(gql: Any, make: Any) -> None:
    customer = await make.customer()
    await gql(DELETE, {"id": gid("Customer", customer)})

    data = await gql(DELETE, {"id": gid("Customer", customer)})

    assert data["deleteCustomer"]["errors"] == [{"code": "INVALID_STATE", "field": ["id"]}]


async def test_updating_a_deleted_customer_is_an_invalid_state(gql: Any, make: Any) -> None:
    customer = await make.customer()
    await gql(DELETE, {"id": gid("Customer", customer)})

    data = await gql(UPDATE, {"id": gid("Customer", customer), "input": {"name": "X"}})

    assert data["updateCustomer"]["errors"][0]["code"] == "INVALID_STATE"
