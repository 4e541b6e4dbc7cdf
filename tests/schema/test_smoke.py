from typing import Any

from tests.factories import gid


async def test_customer_is_listed_with_its_contacts(gql: Any, make: Any) -> None:
    customer = await make.customer(name="Acme")
    await make.contact(customer_id=customer.id, first_name="Ada", last_name="Lovelace")

    data = await gql("{ customers { nodes { id name contacts { nodes { firstName } } } } }")

    assert data["customers"]["nodes"] == [
        {
            "id": gid("Customer", customer),
            "name": "Acme",
            "contacts": {"nodes": [{"firstName": "Ada"}]},
        }
    ]
