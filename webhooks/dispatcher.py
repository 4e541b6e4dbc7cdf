"""Delivery of the outbox: claim due deliveries with a lease, POST them signed, record attempts.

No lock or transaction is held across the HTTP call: a claim is a short transaction that sets a
lease, the call happens outside it, and the outcome is written in another short transaction.
A worker that dies mid-delivery leaves a lease that expires; the delivery is then claimed again
and sent with the same `webhook-id`, so receivers can de-duplicate.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import and_, exists, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models import Event, utcnow
from models.webhooks import (
    DeliveryStatus,
    EndpointState,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from resolvers.events import record_event
from resolvers.principal import SYSTEM
from resolvers.subscriptions import route_events
from resolvers.tables import table_of
from resolvers.unit_of_work import unit_of_work
from resolvers.webhook_targets import Network, UnsafeURLError, resolve_target
from webhooks.payloads import encode, envelope
from webhooks.schedule import next_delay, parse_retry_after
from webhooks.signing import signature_headers

logger = logging.getLogger("crm.webhooks")

deliveries = table_of(WebhookDelivery)
endpoints = table_of(WebhookEndpoint)
events = table_of(Event)
DISABLE_AFTER = timedelta(days=5)
DEFAULT_CONCURRENCY = 10


@dataclass(frozen=True)
class DispatchSettings:
    batch_size: int = 100
    lease: timedelta = timedelta(seconds=60)
    timeout_seconds: float = 10.0
    max_response_bytes: int = 2048
    allow_http: bool = False
    allowed_networks: tuple[Network, ...] = ()


@dataclass(frozen=True)
class Claimed:
    """A leased delivery with what sending it needs."""

    delivery_id: uuid.UUID
    attempts: int
    endpoint_id: uuid.UUID
    url: str
    secrets: tuple[str, ...]
    max_concurrency: int
    rate_limit_per_second: float | None
    body: bytes
    event_id: str


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    error: str | None
    excerpt: str | None
    duration_ms: int
    retry_after: timedelta | None

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


@dataclass
class Dispatcher:
    """Claims and delivers due webhook deliveries; any number may run against PostgreSQL."""

    session_factory: async_sessionmaker[AsyncSession]
    settings: DispatchSettings = field(default_factory=DispatchSettings)
    worker_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    _last_sent: dict[uuid.UUID, float] = field(default_factory=dict)

    async def run_once(self) -> int:
        """Deliver what is due now; returns how many deliveries were attempted."""
        claimed = await self.claim()
        if not claimed:
            return 0
        by_endpoint: dict[uuid.UUID, list[Claimed]] = defaultdict(list)
        for item in claimed:
            by_endpoint[item.endpoint_id].append(item)
        async with httpx.AsyncClient(
            timeout=self.settings.timeout_seconds, follow_redirects=False
        ) as client:
            await asyncio.gather(
                *(self._deliver_endpoint(client, items) for items in by_endpoint.values())
            )
        return len(claimed)

    async def run_forever(self, wake: asyncio.Event, poll_seconds: float = 1.0) -> None:
        """Deliver until cancelled, waking on `wake` or every `poll_seconds`."""
        while True:
            try:
                while await self.run_once():
                    pass
            except Exception:  # keep delivering whatever one batch did
                logger.exception("webhook dispatch failed; retrying")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), poll_seconds)
            wake.clear()

    async def claim(self) -> list[Claimed]:
        """Lease up to a batch of due deliveries (SKIP LOCKED on PostgreSQL)."""
        now = utcnow()
        earlier = deliveries.alias("earlier")
        blocked_by_order = exists(
            select(1).where(
                earlier.c.endpoint_id == deliveries.c.endpoint_id,
                earlier.c.entity_id == deliveries.c.entity_id,
                earlier.c.status == DeliveryStatus.PENDING,
                earlier.c.event_position < deliveries.c.event_position,
            )
        )
        due = (
            select(deliveries.c.id)
            .join(endpoints, endpoints.c.id == deliveries.c.endpoint_id)
            .where(
                deliveries.c.status == DeliveryStatus.PENDING,
                deliveries.c.next_attempt_at <= now,
                (deliveries.c.lease_until.is_(None)) | (deliveries.c.lease_until < now),
                endpoints.c.state == EndpointState.ENABLED,
                ~and_(endpoints.c.ordered.is_(True), blocked_by_order),
            )
            .order_by(deliveries.c.next_attempt_at, deliveries.c.event_position)
            .limit(self.settings.batch_size)
        )
        async with unit_of_work(self.session_factory) as session:
            if session.get_bind().dialect.name == "postgresql":
                due = due.with_for_update(of=deliveries, skip_locked=True)
            ids = list((await session.scalars(due)).all())
            if not ids:
                return []
            await session.execute(
                update(deliveries)
                .where(deliveries.c.id.in_(ids))
                .values(lease_until=now + self.settings.lease, leased_by=self.worker_id)
            )
            rows = (
                await session.execute(
                    select(
                        deliveries.c.id.label("delivery_id"),
                        deliveries.c.attempts,
                        endpoints.c.id.label("endpoint_id"),
                        endpoints.c.url,
                        endpoints.c.secret,
                        endpoints.c.previous_secret,
                        endpoints.c.previous_secret_expires_at,
                        endpoints.c.max_concurrency,
                        endpoints.c.rate_limit_per_second,
                        events.c.id.label("event_id"),
                        events.c.type,
                        events.c.entity_type,
                        events.c.entity_id,
                        events.c.sequence,
                        events.c.payload,
                        events.c.occurred_at,
                    )
                    .join(endpoints, endpoints.c.id == deliveries.c.endpoint_id)
                    .join(events, events.c.position == deliveries.c.event_position)
                    .where(deliveries.c.id.in_(ids))
                )
            ).all()
        return [self._claimed(row, now) for row in rows]

    def _claimed(self, row: Any, now: Any) -> Claimed:
        secrets = [row.secret]
        expires = row.previous_secret_expires_at
        if row.previous_secret and expires is not None and expires > now:
            secrets.append(row.previous_secret)
        event = _EventView(
            row.event_id,
            row.type,
            row.entity_type,
            row.entity_id,
            row.sequence,
            row.payload,
            row.occurred_at,
        )
        return Claimed(
            delivery_id=row.delivery_id,
            attempts=row.attempts,
            endpoint_id=row.endpoint_id,
            url=row.url,
            secrets=tuple(secrets),
            max_concurrency=row.max_concurrency or DEFAULT_CONCURRENCY,
            rate_limit_per_second=row.rate_limit_per_second,
            body=encode(envelope(event)),
            event_id=str(row.event_id),
        )

    async def _deliver_endpoint(self, client: httpx.AsyncClient, items: list[Claimed]) -> None:
        limit = asyncio.Semaphore(items[0].max_concurrency)

        async def one(item: Claimed) -> None:
            async with limit:
                await self._respect_rate(item)
                outcome = await self.send(client, item)
                await self.record(item, outcome)

        await asyncio.gather(*(one(item) for item in items))

    async def _respect_rate(self, item: Claimed) -> None:
        if not item.rate_limit_per_second:
            return
        interval = 1.0 / item.rate_limit_per_second
        now = time.monotonic()
        next_slot = max(now, self._last_sent.get(item.endpoint_id, 0.0) + interval)
        self._last_sent[item.endpoint_id] = next_slot
        if next_slot > now:
            await asyncio.sleep(next_slot - now)

    async def send(self, client: httpx.AsyncClient, item: Claimed) -> Outcome:
        """One signed POST to the pinned address of the endpoint; never follows redirects."""
        started = time.perf_counter()
        try:
            target = await resolve_target(
                item.url,
                allow_http=self.settings.allow_http,
                allowed_networks=self.settings.allowed_networks,
            )
            headers = {
                "content-type": "application/json",
                "user-agent": "crm-webhooks/1",
                "host": target.host if target.port in (80, 443) else f"{target.host}:{target.port}",
                **signature_headers(item.secrets, item.event_id, int(time.time()), item.body),
            }
            request = client.build_request(
                "POST",
                target.connect_url,
                content=item.body,
                headers=headers,
                extensions={"sni_hostname": target.host},
            )
            response = await client.send(request, stream=True)
            try:
                excerpt = await _read_capped(response, self.settings.max_response_bytes)
            finally:
                await response.aclose()
            return Outcome(
                response.status_code,
                None,
                excerpt,
                _elapsed_ms(started),
                parse_retry_after(response.headers.get("retry-after")),
            )
        except UnsafeURLError as exc:
            return Outcome(None, f"refused target: {exc}", None, _elapsed_ms(started), None)
        except httpx.HTTPError as exc:
            return Outcome(
                None, f"{type(exc).__name__}: {exc}"[:500], None, _elapsed_ms(started), None
            )

    async def record(self, item: Claimed, outcome: Outcome) -> None:
        """Write the attempt and the delivery's new state, releasing the lease."""
        now = utcnow()
        number = item.attempts + 1
        async with unit_of_work(self.session_factory) as session:
            session.add(
                WebhookAttempt(
                    delivery_id=item.delivery_id,
                    number=number,
                    started_at=now,
                    duration_ms=outcome.duration_ms,
                    status_code=outcome.status_code,
                    error=outcome.error,
                    response_excerpt=outcome.excerpt,
                )
            )
            values: dict[str, Any] = {
                "attempts": number,
                "lease_until": None,
                "leased_by": None,
                "last_status_code": outcome.status_code,
                "last_error": outcome.error,
            }
            if outcome.succeeded:
                values.update(status=DeliveryStatus.SUCCEEDED, finished_at=now)
            else:
                delay = next_delay(number, outcome.retry_after)
                if delay is None:
                    values.update(status=DeliveryStatus.FAILED, finished_at=now)
                else:
                    values["next_attempt_at"] = now + delay
            await session.execute(
                update(deliveries).where(deliveries.c.id == item.delivery_id).values(**values)
            )
            await self._update_endpoint_health(session, item, outcome, now)

    async def _update_endpoint_health(
        self, session: AsyncSession, item: Claimed, outcome: Outcome, now: Any
    ) -> None:
        if outcome.succeeded:
            await session.execute(
                update(endpoints)
                .where(endpoints.c.id == item.endpoint_id, endpoints.c.failing_since.is_not(None))
                .values(failing_since=None)
            )
            return
        endpoint = await session.get(WebhookEndpoint, item.endpoint_id)
        if endpoint is None or endpoint.state != EndpointState.ENABLED:
            return
        if endpoint.failing_since is None:
            endpoint.failing_since = now
        reason = None
        if outcome.status_code == 410:
            reason = "the receiver answered 410 Gone"
        elif now - endpoint.failing_since >= DISABLE_AFTER:
            reason = "failing for 5 days"
        if reason is not None:
            await disable_endpoint(session, endpoint, reason)


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


@dataclass(frozen=True)
class _EventView:
    id: uuid.UUID
    type: str
    entity_type: str
    entity_id: uuid.UUID
    sequence: int
    payload: dict[str, Any]
    occurred_at: Any


async def _read_capped(response: httpx.Response, limit: int) -> str:
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        chunks.append(chunk)
        size += len(chunk)
        if size >= limit:
            break
    return b"".join(chunks)[:limit].decode(errors="replace")


def _elapsed_ms(started: float) -> int:
    return int((time.perf_counter() - started) * 1000)
