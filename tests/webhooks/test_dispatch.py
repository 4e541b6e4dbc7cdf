"""Delivery against a real receiver on loopback: signed, retried with the same id, never lost."""

import json
from typing import Any

import pytest
from sqlalchemy import select, update
from standardwebhooks.webhooks import Webhook

from kernel.crud import create_entity, update_entity
from kernel.errors import ServiceError
from kernel.principal import SYSTEM
from kernel.tables import table_of
from kernel.unit_of_work import unit_of_work
from models import Event, utcnow
from models.webhooks import (
    DeliveryStatus,
    EndpointState,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from resolvers.customers.service import CUSTOMER_RULES
from tests.webhooks.conftest import make_everything_due
from webhooks.dispatcher import Dispatcher


async def _create_customer(session_factory: Any, name: str = "Acme") -> Any:
    async with unit_of_work(session_factory) as session:
        return await create_entity(session, SYSTEM, CUSTOMER_RULES, {"name": name})


async def _deliveries(session_factory: Any) -> list[WebhookDelivery]:
    async with session_factory() as session:
        return list((await session.scalars(select(WebhookDelivery))).all())


async def test_a_committed_change_is_delivered_signed(
    session_factory: Any, receiver: Any, dispatcher: Any, subscribe: Any
) -> None:
    _, secret = await subscribe(["customer.*"])
    customer = await _create_customer(session_factory)

    sent = await dispatcher.run_once()

    assert sent == 1
    [request] = receiver.received
    body = Webhook(secret).verify(request.body, request.headers)
    assert body["type"] == "customer.created"
    assert body["sequence"] == 1
    assert body["data"]["entity_id"] == str(customer.id)
    assert body["data"]["object"]["name"] == "Acme"
    assert request.headers["webhook-id"] == body["id"]
    [delivery] = await _deliveries(session_factory)
    assert delivery.status == DeliveryStatus.SUCCEEDED


async def test_a_rolled_back_change_has_no_delivery(
    session_factory: Any, receiver: Any, dispatcher: Any, subscribe: Any
) -> None:
    await subscribe(["*"])

    async def change_then_fail() -> None:
        async with unit_of_work(session_factory) as session:
            await create_entity(session, SYSTEM, CUSTOMER_RULES, {"name": "Acme"})
            await create_entity(session, SYSTEM, CUSTOMER_RULES, {"name": ""})

    with pytest.raises(ServiceError):
        await change_then_fail()
    sent = await dispatcher.run_once()

    assert sent == 0
    assert await _deliveries(session_factory) == []


async def test_only_subscribed_types_are_delivered(
    session_factory: Any, receiver: Any, dispatcher: Any, subscribe: Any
) -> None:
    await subscribe(["deal.*"])
    await _create_customer(session_factory)

    assert await dispatcher.run_once() == 0
    assert receiver.received == []


async def test_failures_are_retried_with_the_same_webhook_id_until_success(
    session_factory: Any, receiver: Any, dispatcher: Any, subscribe: Any
) -> None:
    await subscribe(["*"])
    receiver.script = [500, "close", 503]
    await _create_customer(session_factory)

    for _ in range(4):
        await dispatcher.run_once()
        await make_everything_due(session_factory)

    ids = {request.headers["webhook-id"] for request in receiver.received}
    assert len(receiver.received) == 4
    assert len(ids) == 1
    [delivery] = await _deliveries(session_factory)
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.SUCCEEDED, 4)
    async with session_factory() as session:
        statement = select(WebhookAttempt).order_by(table_of(WebhookAttempt).c.number)
        attempts = (await session.scalars(statement)).all()
    assert [a.status_code for a in attempts] == [500, None, 503, 200]
    assert attempts[1].error is not None


async def test_a_hanging_receiver_times_out_and_is_retried_later(
    session_factory: Any, receiver: Any, dispatcher: Any, subscribe: Any
) -> None:
    await subscribe(["*"])
    receiver.script = ["hang"]
    await _create_customer(session_factory)

    await dispatcher.run_once()

    [delivery] = await _deliveries(session_factory)
    assert delivery.status == DeliveryStatus.PENDING
    assert delivery.attempts == 1
    assert "Timeout" in (delivery.last_error or "")
    assert delivery.lease_until is None


async def test_gone_disables_the_endpoint_and_announces_it(
    session_factory: Any, receiver: Any, dispatcher: Any, subscribe: Any
) -> None:
    endpoint, _ = await subscribe(["*"])
    receiver.script = [410]
    await _create_customer(session_factory)

    await dispatcher.run_once()

    async with session_factory() as session:
        stored = await session.get(WebhookEndpoint, endpoint.id)
    assert stored is not None
    assert stored.state == EndpointState.DISABLED
    assert stored.disabled_reason == "the receiver answered 410 Gone"
    async with session_factory() as session:
        types = (await session.scalars(select(table_of(Event).c.type))).all()
    assert "webhook_endpoint.disabled" in types


async def test_redirects_are_not_followed(
    session_factory: Any, receiver: Any, dispatcher: Any, subscribe: Any
) -> None:
    await subscribe(["*"])
    receiver.script = [("status", 302, {"location": "http://127.0.0.1:1/elsewhere"})]
    await _create_customer(session_factory)

    await dispatcher.run_once()

    [delivery] = await _deliveries(session_factory)
    assert delivery.last_status_code == 302
    assert delivery.status == DeliveryStatus.PENDING
    assert len(receiver.received) == 1


async def test_a_leased_delivery_is_not_claimed_twice_and_returns_after_a_crash(
    session_factory: Any, receiver: Any, dispatcher: Any, subscribe: Any
) -> None:
    await subscribe(["*"])
    await _create_customer(session_factory)
    crashed = await dispatcher.claim()  # a dispatcher claims, then dies before sending
    other = Dispatcher(session_factory, dispatcher.settings)
    during_lease = await other.claim()
    async with unit_of_work(session_factory) as session:  # the lease runs out
        await session.execute(update(table_of(WebhookDelivery)).values(lease_until=utcnow()))
    sent = await other.run_once()

    assert len(crashed) == 1
    assert during_lease == []
    assert sent == 1
    body = json.loads(receiver.received[0].body)
    assert receiver.received[0].headers["webhook-id"] == crashed[0].event_id == body["id"]


async def test_ordered_endpoint_sends_one_delivery_per_record_at_a_time(
    session_factory: Any, receiver: Any, dispatcher: Any, subscribe: Any
) -> None:
    await subscribe(["*"], ordered=True)
    receiver.script = [500]
    customer = await _create_customer(session_factory)
    async with unit_of_work(session_factory) as session:
        await update_entity(session, SYSTEM, CUSTOMER_RULES, customer.id, {"name": "Acme 2"})

    await dispatcher.run_once()  # created: 500; updated must wait behind it
    await make_everything_due(session_factory)
    await dispatcher.run_once()  # created: 200
    await dispatcher.run_once()  # then updated

    types = [json.loads(r.body)["type"] for r in receiver.received]
    assert types == ["customer.created", "customer.created", "customer.updated"]
