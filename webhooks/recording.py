"""Recording what attempts returned, a batch at a time, in one short transaction.

One INSERT of every attempt, one UPDATE per (status, attempt number) for the successes, one
executemany UPDATE for the failures (each has its own next attempt time), and endpoint health
once per endpoint of the batch: only failures, or successes of an endpoint that may be failing,
touch the endpoint row.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, insert, update
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.outbox import record_event
from kernel.principal import SYSTEM
from kernel.tables import table_of
from models import utcnow
from models.webhooks import (
    DeliveryStatus,
    EndpointState,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from webhooks.claims import Claimed
from webhooks.routing import route_events
from webhooks.schedule import next_delay
from webhooks.sending import Outcome

attempts = table_of(WebhookAttempt)
deliveries = table_of(WebhookDelivery)
endpoints = table_of(WebhookEndpoint)
DISABLE_AFTER = timedelta(days=5)
Result = tuple[Claimed, Outcome]

_record_failure = (
    update(deliveries)
    .where(deliveries.c.id == bindparam("b_id"))
    .values(
        attempts=bindparam("b_attempts"),
        status=bindparam("b_status"),
        next_attempt_at=bindparam("b_next"),
        finished_at=bindparam("b_finished"),
        last_status_code=bindparam("b_code"),
        last_error=bindparam("b_error"),
        lease_until=None,
        leased_by=None,
    )
)


_record_successes = (
    update(deliveries)
    .where(deliveries.c.id.in_(bindparam("ids", expanding=True)))
    .values(
        status=DeliveryStatus.SUCCEEDED,
        finished_at=bindparam("b_now"),
        attempts=bindparam("b_attempts"),
        last_status_code=bindparam("b_code"),
        last_error=None,
        lease_until=None,
        leased_by=None,
    )
)
_insert_attempts = insert(attempts)


async def record_outcomes(
    session: AsyncSession, results: Sequence[Result], possibly_failing: Collection[uuid.UUID]
) -> set[uuid.UUID]:
    """Write the attempts of ``results`` (in the order they finished) and each delivery's new
    state, releasing the leases; returns the endpoints now failing.

    Endpoints with only successes are cleared of `failing_since` when in ``possibly_failing``.
    """
    if not results:
        return set()
    now = utcnow()
    connection = await session.connection()
    await connection.execute(_insert_attempts, [_attempt_row(item, o) for item, o in results])
    succeeded: dict[tuple[int | None, int], list[uuid.UUID]] = defaultdict(list)
    failed: list[dict[str, Any]] = []
    for item, outcome in results:
        number = item.attempts + 1
        if outcome.succeeded:
            succeeded[(outcome.status_code, number)].append(item.delivery_id)
        else:
            failed.append(_failure_row(item, outcome, number, now))
    for (status_code, number), ids in succeeded.items():
        await connection.execute(
            _record_successes,
            {"ids": ids, "b_now": now, "b_attempts": number, "b_code": status_code},
        )
    if failed:
        await connection.execute(_record_failure, failed)
    return await _endpoint_health(session, results, possibly_failing, now)


def _attempt_row(item: Claimed, outcome: Outcome) -> dict[str, Any]:
    return {
        "id": uuid.uuid4(),
        "delivery_id": item.delivery_id,
        "number": item.attempts + 1,
        "started_at": outcome.started_at,
        "duration_ms": outcome.duration_ms,
        "status_code": outcome.status_code,
        "error": outcome.error,
        "response_excerpt": outcome.excerpt,
    }


def _failure_row(item: Claimed, outcome: Outcome, number: int, now: datetime) -> dict[str, Any]:
    delay = next_delay(number, outcome.retry_after)
    return {
        "b_id": item.delivery_id,
        "b_attempts": number,
        "b_status": DeliveryStatus.PENDING if delay is not None else DeliveryStatus.FAILED,
        "b_next": now + (delay or timedelta(0)),
        "b_finished": None if delay is not None else now,
        "b_code": outcome.status_code,
        "b_error": outcome.error,
    }


async def _endpoint_health(
    session: AsyncSession,
    results: Sequence[Result],
    possibly_failing: Collection[uuid.UUID],
    now: datetime,
) -> set[uuid.UUID]:
    by_endpoint: dict[uuid.UUID, list[Outcome]] = defaultdict(list)
    for item, outcome in results:
        by_endpoint[item.endpoint_id].append(outcome)
    recovered, failing = [], set()
    for endpoint_id, outcomes in by_endpoint.items():
        gone = any(o.status_code == 410 for o in outcomes)
        if outcomes[-1].succeeded and not gone:
            if endpoint_id in possibly_failing:
                recovered.append(endpoint_id)
            continue
        failing.add(endpoint_id)
        restarted = any(o.succeeded for o in outcomes)
        await _failed(session, endpoint_id, now, gone=gone, restarted=restarted)
    if recovered:
        await session.execute(
            update(endpoints)
            .where(endpoints.c.id.in_(recovered), endpoints.c.failing_since.is_not(None))
            .values(failing_since=None)
        )
    return failing


async def _failed(
    session: AsyncSession, endpoint_id: uuid.UUID, now: datetime, *, gone: bool, restarted: bool
) -> None:
    """The endpoint's last attempt failed: it is failing since now, unless it already was
    (with no success since); 410 or 5 days of failures disable it."""
    endpoint = await session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None or endpoint.state != EndpointState.ENABLED:
        return
    if endpoint.failing_since is None or restarted:
        endpoint.failing_since = now
    reason = None
    if gone:
        reason = "the receiver answered 410 Gone"
    elif now - endpoint.failing_since >= DISABLE_AFTER:
        reason = "failing for 5 days"
    if reason is not None:
        await disable_endpoint(session, endpoint, reason)
    else:
        session.add(endpoint)


async def disable_endpoint(session: AsyncSession, endpoint: WebhookEndpoint, reason: str) -> None:
    """Stop delivering to an endpoint and tell subscribers with `webhook_endpoint.disabled`."""
    endpoint.state = EndpointState.DISABLED
    endpoint.disabled_reason = reason
    endpoint.version += 1
    endpoint.updated_at = utcnow()
    session.add(endpoint)
    event = record_event(
        session,
        SYSTEM,
        "webhook_endpoint.disabled",
        "webhook_endpoint",
        endpoint.id,
        endpoint.version,
        {"id": str(endpoint.id), "url": endpoint.url, "reason": reason},
    )
    await route_events(session, [event])
