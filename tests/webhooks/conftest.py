"""Fixtures for delivery tests: an endpoint on a loopback receiver and a dispatcher for it."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import update

from kernel.bus import Topic, bus
from kernel.principal import SYSTEM
from kernel.tables import table_of
from kernel.unit_of_work import unit_of_work
from models import utcnow
from models.webhooks import WebhookDelivery
from tests.webhooks.receiver import Receiver, running
from webhooks.dispatcher import Dispatcher, DispatchSettings
from webhooks.endpoints import TargetPolicy, create_endpoint
from webhooks.targets import parse_networks

LOOPBACK = TargetPolicy(allow_http=True, allowed_networks=parse_networks(["127.0.0.0/8"]))


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    async with running(Receiver()) as started:
        yield started


@pytest.fixture
async def dispatcher(session_factory: Any) -> AsyncIterator[Dispatcher]:
    settings = DispatchSettings(
        allow_http=True, allowed_networks=LOOPBACK.allowed_networks, timeout_seconds=0.5
    )
    dispatcher = Dispatcher(session_factory, settings)
    try:
        yield dispatcher
    finally:
        await dispatcher.aclose()


@pytest.fixture
def subscribe(session_factory: Any, receiver: Receiver) -> Any:
    """Register an endpoint on the receiver: `await subscribe(["*"], ordered=False)`."""

    async def make(event_types: list[str], **options: Any) -> tuple[Any, str]:
        async with unit_of_work(session_factory) as session:
            return await create_endpoint(
                session,
                SYSTEM,
                {"url": receiver.url, "event_types": event_types, **options},
                LOOPBACK,
            )

    return make


async def make_everything_due(session_factory: Any) -> None:
    """Skip the retry delays: every pending delivery is due now."""
    async with unit_of_work(session_factory) as session:
        await session.execute(update(table_of(WebhookDelivery)).values(next_attempt_at=utcnow()))


@contextlib.asynccontextmanager
async def delivering(dispatcher: Dispatcher) -> AsyncIterator[None]:
    """The dispatcher delivering continuously, woken by each commit, until the block ends."""
    wake = asyncio.Event()
    unregister = bus.subscribe(Topic.DELIVERIES, wake.set)
    task = asyncio.create_task(dispatcher.run_forever(wake, poll_seconds=0.2))
    try:
        yield
    finally:
        unregister()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
