"""The ERP connector over real HTTP: signed batches applied once, per-record answers, stale
updates skipped, field ownership both ways, orders linked to won deals."""

from __future__ import annotations

import time
import uuid
from typing import Any

from sqlalchemy import func, select

from kernel.tables import table_of
from models import Customer, Event, Purchase
from models.integrations import ExternalRef
from tests.conftest import GraphQLClient
from tests.factories import gid
from tests.integrations.conftest import Sender

customers = table_of(Customer)


def customer_record(
    source_id: str, updated_at: str = "2026-11-01T10:00:00Z", **data: Any
) -> dict[str, Any]:
    return {
        "type": "customer",
        "id": source_id,
        "updated_at": updated_at,
        "data": {"name": f"Company {source_id}", **data},
    }


async def count(session_factory: Any, model: Any) -> int:
    async with session_factory() as session:
        return int(await session.scalar(select(func.count()).select_from(table_of(model))))


async def customer_by_ref(session_factory: Any, connection: Any, source_id: str) -> Any:
    refs = table_of(ExternalRef)
    async with session_factory() as session:
        return (
            await session.execute(
                select(customers)
                .join(refs, refs.c.entity_id == customers.c.id)
                .where(refs.c.connection_id == connection.id, refs.c.external_id == source_id)
            )
        ).one()


async def test_signed_batch_is_applied_and_answered_per_record(
    connect: Any, sender: Sender, session_factory: Any
) -> None:
    connection, secret = await connect("erp")
    order = {
        "type": "order",
        "id": "SO-1",
        "updated_at": "2026-11-01T10:00:00Z",
        "data": {
            "customer_id": "C-1",
            "number": "SO-1",
            "status": "confirmed",
            "currency": "EUR",
            "ordered_at": "2026-11-01T09:00:00Z",
            "lines": [{"description": "Widget", "quantity": "3", "unit_price": "10.00"}],
        },
    }
    results = await sender.results(
        connection,
        secret,
        [customer_record("C-1", billing_address={"city": "Berlin", "country": "DE"}), order],
    )

    assert [r["outcome"] for r in results] == ["applied", "applied"]
    customer = await customer_by_ref(session_factory, connection, "C-1")
    assert (customer.name, customer.city, customer.country) == ("Company C-1", "Berlin", "DE")
    async with session_factory() as session:
        purchase = (await session.execute(select(table_of(Purchase)))).one()
    assert purchase.customer_id == customer.id
    assert str(purchase.total_amount) == "30.00"
    assert results[1]["entity_id"] == str(purchase.id)


async def test_replayed_webhook_id_is_answered_without_applying_again(
    connect: Any, sender: Sender, session_factory: Any
) -> None:
    connection, secret = await connect("erp")
    records = [customer_record("C-1")]

    first = await sender.post(connection, secret, records, message_id="msg_1")
    events_after_first = await count(session_factory, Event)
    second = await sender.post(connection, secret, records, message_id="msg_1")

    assert first.json()["replayed"] is False
    assert second.status_code == 200
    assert second.json()["replayed"] is True
    assert second.json()["results"] == first.json()["results"]
    assert await count(session_factory, Customer) == 1
    assert await count(session_factory, Event) == events_after_first


async def test_same_records_under_a_new_message_id_are_unchanged(
    connect: Any, sender: Sender
) -> None:
    connection, secret = await connect("erp")
    await sender.results(connection, secret, [customer_record("C-1")])

    again = await sender.results(connection, secret, [customer_record("C-1")])

    assert again[0]["outcome"] == "unchanged"


async def test_bad_signature_is_refused_and_changes_nothing(
    connect: Any, sender: Sender, session_factory: Any
) -> None:
    connection, _ = await connect("erp")
    _, other_secret = await connect("erp")

    response = await sender.post(connection, other_secret, [customer_record("C-1")])

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "UNAUTHENTICATED"
    assert await count(session_factory, Customer) == 0


async def test_timestamp_outside_five_minutes_is_refused(
    connect: Any, sender: Sender, session_factory: Any
) -> None:
    connection, secret = await connect("erp")

    response = await sender.post(
        connection, secret, [customer_record("C-1")], timestamp=int(time.time()) - 301
    )

    assert response.status_code == 401
    assert await count(session_factory, Customer) == 0


async def test_bad_record_is_rejected_alone(
    connect: Any, sender: Sender, session_factory: Any
) -> None:
    connection, secret = await connect("erp")
    bad = customer_record("C-2", billing_address={"country": "Germany"})

    results = await sender.results(
        connection, secret, [customer_record("C-1"), bad, customer_record("C-3")]
    )

    assert [r["outcome"] for r in results] == ["applied", "rejected", "applied"]
    assert results[1]["errors"][0]["code"] == "VALIDATION"
    assert results[1]["errors"][0]["field"] == ["data", "billing_address", "country"]
    assert await count(session_factory, Customer) == 2
    async with session_factory() as session:
        refs = (await session.execute(select(table_of(ExternalRef).c.external_id))).scalars().all()
    assert sorted(refs) == ["C-1", "C-3"]  # nothing of the rejected record is left


async def test_unknown_record_type_is_rejected_with_the_reason(
    connect: Any, sender: Sender
) -> None:
    connection, secret = await connect("erp")

    results = await sender.results(
        connection, secret, [{"type": "shipment", "id": "1", "data": {}}]
    )

    assert results[0]["outcome"] == "rejected"
    assert "unknown record type" in results[0]["reason"]


async def test_update_older_than_the_applied_one_is_stale(
    connect: Any, sender: Sender, session_factory: Any
) -> None:
    connection, secret = await connect("erp")
    await sender.results(
        connection,
        secret,
        [customer_record("C-1", "2026-11-02T10:00:00Z", billing_address={"city": "Paris"})],
    )

    results = await sender.results(
        connection,
        secret,
        [customer_record("C-1", "2026-11-01T10:00:00Z", billing_address={"city": "Lyon"})],
    )

    assert results[0]["outcome"] == "stale"
    assert (await customer_by_ref(session_factory, connection, "C-1")).city == "Paris"


async def test_crm_owned_fields_are_not_overwritten_by_the_erp(
    connect: Any, sender: Sender, session_factory: Any
) -> None:
    connection, secret = await connect("erp")
    await sender.results(connection, secret, [customer_record("C-1")])

    results = await sender.results(
        connection,
        secret,
        [
            {
                "type": "customer",
                "id": "C-1",
                "updated_at": "2026-11-03T10:00:00Z",
                "data": {"name": "Renamed by ERP", "billing_address": {"city": "Oslo"}},
            }
        ],
    )

    customer = await customer_by_ref(session_factory, connection, "C-1")
    assert (customer.name, customer.city) == ("Company C-1", "Oslo")
    assert results[0]["ignored_fields"] == ["name"]


async def test_erp_owned_fields_cannot_be_changed_through_graphql(
    connect: Any, sender: Sender, session_factory: Any, gql: GraphQLClient
) -> None:
    connection, secret = await connect("erp")
    await sender.results(connection, secret, [customer_record("C-1", credit_status="good")])
    customer = await customer_by_ref(session_factory, connection, "C-1")

    data = await gql(
        """mutation($id: ID!) { updateCustomer(id: $id, input: {creditStatus: BLOCKED, industry: "Retail"}) {
            customer { creditStatus } errors { code field message } } }""",
        {"id": gid("Customer", customer)},
    )

    errors = data["updateCustomer"]["errors"]
    assert [(e["code"], e["field"]) for e in errors] == [("FIELD_OWNED", ["input", "creditStatus"])]
    assert connection.name in errors[0]["message"]
    unchanged = await customer_by_ref(session_factory, connection, "C-1")
    assert (unchanged.credit_status, unchanged.industry) == ("good", None)


async def test_credit_status_record_updates_the_customer(
    connect: Any, sender: Sender, session_factory: Any
) -> None:
    connection, secret = await connect("erp")
    await sender.results(connection, secret, [customer_record("C-1")])

    results = await sender.results(
        connection,
        secret,
        [
            {
                "type": "credit_status",
                "id": "cs-1",
                "updated_at": "2026-11-04T00:00:00Z",
                "data": {"customer_id": "C-1", "credit_status": "hold"},
            }
        ],
    )

    assert results[0]["outcome"] == "applied"
    assert (await customer_by_ref(session_factory, connection, "C-1")).credit_status == "hold"


async def test_source_ids_are_unique_per_connection_not_globally(
    connect: Any, sender: Sender, session_factory: Any
) -> None:
    first, first_secret = await connect("erp")
    second, second_secret = await connect("erp")

    await sender.results(first, first_secret, [customer_record("C-1")])
    await sender.results(second, second_secret, [customer_record("C-1")])

    assert await count(session_factory, Customer) == 2


def order_record(deal_id: Any, status: str, updated_at: str) -> dict[str, Any]:
    return {
        "type": "order",
        "id": "SO-9",
        "updated_at": updated_at,
        "data": {
            "customer_id": "C-1",
            "number": "SO-9",
            "status": status,
            "currency": "EUR",
            "ordered_at": "2026-11-01T09:00:00Z",
            "deal_id": str(deal_id),
        },
    }


async def test_confirmed_order_links_the_won_deal(
    connect: Any, sender: Sender, session_factory: Any, make: Any, gql: GraphQLClient
) -> None:
    connection, secret = await connect("erp")
    await sender.results(connection, secret, [customer_record("C-1")])
    customer = await customer_by_ref(session_factory, connection, "C-1")
    _, stages = await make.pipeline()
    deal = await make.deal(customer_id=customer.id, stage_id=stages[2].id)

    draft = await sender.results(
        connection, secret, [order_record(deal.id, "draft", "2026-11-01T10:00:00Z")]
    )
    confirmed = await sender.results(
        connection, secret, [order_record(deal.id, "confirmed", "2026-11-02T10:00:00Z")]
    )

    assert draft[0]["outcome"] == confirmed[0]["outcome"] == "applied"
    data = await gql(
        "query($id: ID!) { node(id: $id) { ... on Deal { purchases { edges { node { number status } } } } } }",
        {"id": gid("Deal", deal)},
    )
    assert data["node"]["purchases"]["edges"] == [
        {"node": {"number": "SO-9", "status": "CONFIRMED"}}
    ]


async def test_order_for_an_open_deal_is_rejected(
    connect: Any, sender: Sender, session_factory: Any, make: Any
) -> None:
    connection, secret = await connect("erp")
    await sender.results(connection, secret, [customer_record("C-1")])
    customer = await customer_by_ref(session_factory, connection, "C-1")
    _, stages = await make.pipeline()
    deal = await make.deal(customer_id=customer.id, stage_id=stages[0].id)

    results = await sender.results(
        connection, secret, [order_record(deal.id, "confirmed", "2026-11-02T10:00:00Z")]
    )

    assert results[0]["outcome"] == "rejected"
    assert results[0]["errors"][0]["code"] == "INVALID_STATE"
    assert await count(session_factory, Purchase) == 0


async def test_order_for_an_unknown_customer_is_rejected(connect: Any, sender: Sender) -> None:
    connection, secret = await connect("erp")

    results = await sender.results(
        connection, secret, [order_record(uuid.uuid4(), "draft", "2026-11-01T00:00:00Z")]
    )

    assert results[0]["errors"][0]["code"] == "INVALID_REFERENCE"
    assert results[0]["errors"][0]["field"] == ["data", "customer_id"]


async def test_deleted_record_soft_deletes_the_customer(
    connect: Any, sender: Sender, session_factory: Any
) -> None:
    connection, secret = await connect("erp")
    await sender.results(connection, secret, [customer_record("C-1")])

    record = customer_record("C-1", "2026-11-05T00:00:00Z") | {"deleted": True}
    results = await sender.results(connection, secret, [record])

    assert results[0]["outcome"] == "applied"
    assert (await customer_by_ref(session_factory, connection, "C-1")).deleted_at is not None


async def test_credit_status_cannot_delete_the_customer(
    connect: Any, sender: Sender, session_factory: Any
) -> None:
    connection, secret = await connect("erp")
    await sender.results(connection, secret, [customer_record("C-1")])
    record = {
        "type": "credit_status",
        "id": "cs-1",
        "deleted": True,
        "data": {"customer_id": "C-1", "credit_status": "hold"},
    }

    results = await sender.results(connection, secret, [record])

    assert results[0]["outcome"] == "rejected"
    assert (await customer_by_ref(session_factory, connection, "C-1")).deleted_at is None


async def test_credit_status_is_not_made_stale_by_a_newer_customer_record(
    connect: Any, sender: Sender, session_factory: Any
) -> None:
    connection, secret = await connect("erp")
    await sender.results(connection, secret, [customer_record("C-1", "2026-11-05T00:00:00Z")])
    record = {
        "type": "credit_status",
        "id": "cs-1",
        "updated_at": "2026-11-04T00:00:00Z",
        "data": {"customer_id": "C-1", "credit_status": "blocked"},
    }

    results = await sender.results(connection, secret, [record])

    assert results[0]["outcome"] == "applied"
    assert (await customer_by_ref(session_factory, connection, "C-1")).credit_status == "blocked"


async def test_an_order_sent_again_unchanged_is_unchanged(connect: Any, sender: Sender) -> None:
    connection, secret = await connect("erp")
    order = order_record(None, "draft", "2026-11-01T10:00:00Z")
    order["data"].pop("deal_id")
    order["data"]["lines"] = [{"description": "Widget", "quantity": "3", "unit_price": "10.00"}]
    await sender.results(connection, secret, [customer_record("C-1"), order])

    again = await sender.results(connection, secret, [order])

    assert again[0]["outcome"] == "unchanged"


async def test_an_erp_owned_purchase_cannot_be_deleted_through_graphql(
    connect: Any, sender: Sender, session_factory: Any, gql: GraphQLClient
) -> None:
    connection, secret = await connect("erp")
    order = order_record(None, "draft", "2026-11-01T10:00:00Z")
    order["data"].pop("deal_id")
    await sender.results(connection, secret, [customer_record("C-1"), order])
    async with session_factory() as session:
        purchase = (await session.execute(select(table_of(Purchase)))).one()

    data = await gql(
        "mutation($id: ID!) { deletePurchase(id: $id) { errors { code } } }",
        {"id": gid("Purchase", purchase)},
    )

    assert data["deletePurchase"]["errors"] == [{"code": "FIELD_OWNED"}]
