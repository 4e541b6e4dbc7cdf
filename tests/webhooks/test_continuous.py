"""Delivering continuously: outcomes recorded a batch at a time, no batch barrier, and the
per-endpoint limits still enforced."""

import asyncio
import contextlib
import dataclasses
import json
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from kernel.crud import create_entity, update_entity
from kernel.principal import SYSTEM
from kernel.unit_of_work import unit_of_work
from models import utcnow
from models.webhooks import DeliveryStatus, WebhookAttempt, WebhookDelivery
from resolvers.customers.service import CUSTOMER_RULES
from tests.webhooks.conftest import delivering
from tests.webhooks.receiver import Receiver, running
from webhooks.dispatcher import Dispatcher


async def _create_customers(session_factory: Any, count: int) -> list[Any]:
    async with unit_of_work(session_factory) as session:
        return [
            await create_entity(session, SYSTEM, CUSTOMER_RULES, {"name": f"Customer {n}"})
            for n in range(count)
        ]


async def _all(session_factory: Any, model: Any) -> list[Any]:
    async with session_factory() as session:
        return list((await session.scalars(select(model))).all())


async def test_every_delivery_of_a_batch_gets_its_attempt_in_a_few_statements(
    session_factory: Any,
    receiver: Receiver,
    dispatcher: Dispatcher,
    subscribe: Any,
    count_statements: Any,
) -> None:
    await subscribe(["*"])
    receiver.script = [500, 200] * 10
    await _create_customers(session_factory, 20)

    with count_statements() as counter:
        sent = await dispatcher.run_once()

    assert sent == 20
    attempts = await _all(session_factory, WebhookAttempt)
    deliveries = await _all(session_factory, WebhookDelivery)
    assert sorted(a.delivery_id for a in attempts) == sorted(d.id for d in deliveries)
    assert [a.number for a in attempts] == [1] * 20
    assert sorted(a.status_code for a in attempts) == [200] * 10 + [500] * 10
    statuses = sorted(d.status for d in deliveries)
    assert statuses == [DeliveryStatus.PENDING] * 10 + [DeliveryStatus.SUCCEEDED] * 10
    now = utcnow()
    for delivery in deliveries:
        assert (delivery.attempts, delivery.lease_until) == (1, None)
        if delivery.status == DeliveryStatus.PENDING:
            assert delivery.next_attempt_at > now
    # Claim (select, lease) and record (attempts, successes, failures, the endpoint): not per
    # delivery.
    assert counter.count <= 7, counter.statements


async def test_a_slow_endpoint_does_not_hold_back_another_endpoints_deliveries(
    session_factory: Any, receiver: Receiver, dispatcher: Dispatcher, subscribe: Any
) -> None:
    settings = dataclasses.replace(dispatcher.settings, timeout_seconds=5)
    await subscribe(["*"])
    async with running(Receiver(script=[("sleep", 2.0)] * 3)) as slow:
        await subscribe(["*"], url=slow.url)
        async with delivering(Dispatcher(session_factory, settings)):
            await _create_customers(session_factory, 1)
            await slow.wait_for(1, within=1)
            await receiver.wait_for(1, within=1)
            await _create_customers(session_factory, 1)
            await receiver.wait_for(2, within=1)

            assert slow.in_flight > 0  # still answering the first


async def test_an_endpoint_never_gets_more_than_its_concurrency_at_once(
    session_factory: Any, receiver: Receiver, dispatcher: Dispatcher, subscribe: Any
) -> None:
    await subscribe(["*"], max_concurrency=2)
    receiver.script = [("sleep", 0.05)] * 12

    async with delivering(dispatcher):
        await _create_customers(session_factory, 12)
        await receiver.wait_for(12, within=5)

    assert receiver.max_in_flight == 2


async def test_an_ordered_endpoint_gets_each_records_changes_one_at_a_time_in_order(
    session_factory: Any, receiver: Receiver, dispatcher: Dispatcher, subscribe: Any
) -> None:
    await subscribe(["*"], ordered=True)
    receiver.script = [("sleep", 0.05)] * 5

    async with delivering(dispatcher):
        [customer] = await _create_customers(session_factory, 1)
        for n in range(4):
            async with unit_of_work(session_factory) as session:
                changes = {"name": f"Renamed {n}"}
                await update_entity(session, SYSTEM, CUSTOMER_RULES, customer.id, changes)
        received = await receiver.wait_for(5, within=5)

    assert [json.loads(r.body)["sequence"] for r in received] == [1, 2, 3, 4, 5]
    assert receiver.max_in_flight == 1


async def test_connections_to_an_endpoint_are_kept_alive_across_batches(
    session_factory: Any, receiver: Receiver, dispatcher: Dispatcher, subscribe: Any
) -> None:
    await subscribe(["*"])
    receiver.keep_alive = True

    await _create_customers(session_factory, 1)
    await dispatcher.run_once()
    await _create_customers(session_factory, 1)
    await dispatcher.run_once()

    first, second = receiver.received
    assert first.peer_port == second.peer_port


async def test_drain_delivers_everything_due_and_records_it_before_returning(
    session_factory: Any, receiver: Receiver, dispatcher: Dispatcher, subscribe: Any
) -> None:
    await subscribe(["*"])
    await _create_customers(session_factory, 30)

    sent = await dispatcher.drain()

    assert sent == 30
    assert len(receiver.received) == 30
    deliveries = await _all(session_factory, WebhookDelivery)
    assert {d.status for d in deliveries} == {DeliveryStatus.SUCCEEDED}


async def test_stopping_the_dispatcher_records_the_outcomes_it_already_has(
    session_factory: Any, receiver: Receiver, dispatcher: Dispatcher, subscribe: Any
) -> None:
    settings = dataclasses.replace(dispatcher.settings, record_after_seconds=60)
    await subscribe(["*"])

    async with delivering(Dispatcher(session_factory, settings)):
        await _create_customers(session_factory, 3)
        await receiver.wait_for(3, within=5)

    deliveries = await _all(session_factory, WebhookDelivery)
    assert [d.status for d in deliveries] == [DeliveryStatus.SUCCEEDED] * 3


async def test_a_dispatcher_with_more_due_than_room_asks_for_help_and_one_with_room_does_not(
    session_factory: Any, receiver: Receiver, dispatcher: Dispatcher, subscribe: Any
) -> None:
    await subscribe(["*"], max_concurrency=1)  # room for 4 claimed deliveries
    asked: list[str] = []
    busy = Dispatcher(session_factory, dispatcher.settings, on_backlog=lambda: asked.append("busy"))
    idle = Dispatcher(session_factory, dispatcher.settings, on_backlog=lambda: asked.append("idle"))

    await _create_customers(session_factory, 10)
    await busy.drain()
    await _create_customers(session_factory, 2)
    await idle.drain()
    await busy.aclose()
    await idle.aclose()

    assert "busy" in asked
    assert "idle" not in asked
    assert len(receiver.received) == 12


async def test_a_claim_looks_past_a_backlog_of_an_endpoint_without_room(
    session_factory: Any, receiver: Receiver, dispatcher: Dispatcher, subscribe: Any
) -> None:
    settings = dataclasses.replace(dispatcher.settings, batch_size=10, timeout_seconds=5)
    async with running(Receiver(script=[("sleep", 2.0)] * 20)) as slow:
        await subscribe(["*"], url=slow.url, max_concurrency=1)  # room for 4
        await _create_customers(session_factory, 12)  # more than a claim looks at
        await subscribe(["*"])
        await _create_customers(session_factory, 1)
        sender = Dispatcher(session_factory, settings)
        task = asyncio.create_task(sender.run_forever(asyncio.Event(), poll_seconds=60))
        try:
            [request] = await receiver.wait_for(1, within=1.5)  # the first claim took it
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    assert json.loads(request.body)["data"]["object"]["name"] == "Customer 0"


async def test_a_delivery_whose_lease_could_run_out_in_flight_waits_for_a_later_claim(
    session_factory: Any, receiver: Receiver, dispatcher: Dispatcher, subscribe: Any
) -> None:
    # One at a time, 0.8 s each; the lease leaves room for a request of 1 s after 1.5 s only.
    lease = timedelta(seconds=2.5)
    settings = dataclasses.replace(dispatcher.settings, lease=lease, timeout_seconds=1.0)
    await subscribe(["*"], max_concurrency=1)
    receiver.script = [("sleep", 0.8)] * 3
    await _create_customers(session_factory, 5)
    first = Dispatcher(session_factory, settings)
    second = Dispatcher(session_factory, settings)

    attempted = await first.run_once()
    held_back = [d for d in await _all(session_factory, WebhookDelivery) if d.attempts == 0]
    during_lease = await second.claim()
    await asyncio.sleep(max(0.0, (held_back[0].lease_until - utcnow()).total_seconds()))
    await second.run_once()
    await first.aclose()
    await second.aclose()

    assert attempted == 5
    assert len(held_back) == 3  # the third would have started 1.6 s into a 2.5 s lease
    assert all(d.lease_until is not None for d in held_back)  # not released: still leased
    assert during_lease == []
    assert len(receiver.received) == 5
    assert len({r.headers["webhook-id"] for r in receiver.received}) == 5
    deliveries = await _all(session_factory, WebhookDelivery)
    assert [(d.status, d.attempts) for d in deliveries] == [(DeliveryStatus.SUCCEEDED, 1)] * 5


async def test_outcomes_waiting_when_a_claim_comes_are_written_with_it(
    session_factory: Any, receiver: Receiver, dispatcher: Dispatcher, subscribe: Any
) -> None:
    # The recorder alone would wait a minute: only claims write the outcomes here.
    settings = dataclasses.replace(dispatcher.settings, record_after_seconds=60)
    await subscribe(["*"], max_concurrency=1)  # room for 8: claims every few deliveries
    receiver.script = [("sleep", 0.01)] * 20

    async with delivering(Dispatcher(session_factory, settings)):
        await _create_customers(session_factory, 20)
        await receiver.wait_for(20, within=10)
        await asyncio.sleep(0.3)
        deliveries = await _all(session_factory, WebhookDelivery)

    succeeded = [d for d in deliveries if d.status == DeliveryStatus.SUCCEEDED]
    assert len(succeeded) >= 12
    assert all((d.attempts, d.lease_until) == (1, None) for d in succeeded)
