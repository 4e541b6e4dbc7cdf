"""Claiming due deliveries: one short transaction that leases them (SKIP LOCKED on PostgreSQL).

The lease is the only claim: no lock outlives the transaction, so the HTTP call happens with
none held, and a dispatcher that dies leaves leases that expire.

Two statements: the select of due deliveries, which also reads what sending them needs (its
first look reads no more rows than the endpoints it holds have room for), and the lease. They
are built once (their lists are expanding parameters) and run on the session's connection as
Core; endpoint secrets are read as stored and decrypted once per ciphertext. A claim is paid
for every few deliveries, so its fixed cost is most of the dispatcher's own.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Text, and_, bindparam, exists, select, type_coerce, update
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.tables import table_of
from models import Event, utcnow
from models.encryption import Keyring, current_keyring
from models.webhooks import DeliveryStatus, EndpointState, WebhookDelivery, WebhookEndpoint
from webhooks.payloads import encode, envelope

deliveries = table_of(WebhookDelivery)
endpoints = table_of(WebhookEndpoint)
events = table_of(Event)
DEFAULT_CONCURRENCY = 10


@dataclass(frozen=True, slots=True)
class Claimed:
    """A leased delivery with what sending and recording it need."""

    delivery_id: uuid.UUID
    attempts: int
    endpoint_id: uuid.UUID
    url: str
    secrets: tuple[str, ...]
    max_concurrency: int
    rate_limit_per_second: float | None
    body: bytes
    event_id: str
    ordered: bool = False
    endpoint_failing: bool = False


# What sending and recording need; secrets as stored (ciphertext), decrypted through
# `_plaintext` once per distinct token.
_SENDABLE_COLUMNS = (
    deliveries.c.id,
    deliveries.c.attempts,
    deliveries.c.endpoint_id,
    endpoints.c.url,
    type_coerce(endpoints.c.secret, Text).label("secret"),
    type_coerce(endpoints.c.previous_secret, Text).label("previous_secret"),
    endpoints.c.previous_secret_expires_at,
    endpoints.c.max_concurrency,
    endpoints.c.rate_limit_per_second,
    endpoints.c.ordered,
    endpoints.c.failing_since,
    events.c.id.label("event_id"),
    events.c.type,
    events.c.entity_type,
    events.c.entity_id,
    events.c.sequence,
    events.c.payload,
    events.c.occurred_at,
)


@functools.cache
def _due(skip_endpoints: bool, skip_ids: bool, postgres: bool) -> Any:
    """Due deliveries with their events and endpoints, oldest first, up to `:limit`; those of
    endpoints in `:skip_endpoints` and ids in `:skip_ids` left out when the flags say so."""
    now = bindparam("now", type_=deliveries.c.next_attempt_at.type)
    earlier = deliveries.alias("earlier")
    blocked_by_order = exists(
        select(1).where(
            earlier.c.endpoint_id == deliveries.c.endpoint_id,
            earlier.c.entity_id == deliveries.c.entity_id,
            earlier.c.status == DeliveryStatus.PENDING,
            earlier.c.event_position < deliveries.c.event_position,
        )
    )
    conditions = [
        deliveries.c.status == DeliveryStatus.PENDING,
        deliveries.c.next_attempt_at <= now,
        (deliveries.c.lease_until.is_(None)) | (deliveries.c.lease_until < now),
        endpoints.c.state == EndpointState.ENABLED,
        ~and_(endpoints.c.ordered.is_(True), blocked_by_order),
    ]
    if skip_endpoints:
        conditions.append(
            deliveries.c.endpoint_id.not_in(bindparam("skip_endpoints", expanding=True))
        )
    if skip_ids:
        conditions.append(deliveries.c.id.not_in(bindparam("skip_ids", expanding=True)))
    statement = (
        select(*_SENDABLE_COLUMNS)
        .join(endpoints, endpoints.c.id == deliveries.c.endpoint_id)
        .join(events, events.c.position == deliveries.c.event_position)
        .where(*conditions)
        .order_by(deliveries.c.next_attempt_at, deliveries.c.event_position)
        .limit(bindparam("limit"))
    )
    if postgres:
        statement = statement.with_for_update(of=deliveries, skip_locked=True)
    return statement


_lease = (
    update(deliveries)
    .where(deliveries.c.id.in_(bindparam("ids", expanding=True)))
    .values(lease_until=bindparam("b_lease_until"), leased_by=bindparam("b_worker"))
)


@functools.lru_cache(maxsize=1024)
def _decrypted(keyring: Keyring, token: str) -> str:
    return keyring.decrypt(token)


def _plaintext(token: str) -> str:
    """An endpoint secret from its stored token (cached: a rotation stores a new token)."""
    return _decrypted(current_keyring(), token)


async def claim_due(
    session: AsyncSession,
    *,
    worker_id: str,
    lease: timedelta,
    limit: int,
    room: Mapping[uuid.UUID, int] | None = None,
    cap: Callable[[int, float | None], int] | None = None,
    look_past: bool = False,
) -> tuple[list[Claimed], bool]:
    """Lease up to ``limit`` due deliveries, oldest first; also whether more may be due (the
    limit was reached, or some were left for lack of room).

    With ``room``, at most ``room[endpoint]`` for the endpoints listed there (those with none
    are skipped) and at most ``cap(max_concurrency, rate_limit)`` for any other; with
    ``look_past``, a second look past rows left for lack of room.
    """
    now = utcnow()
    picked: list[Any] = []
    free = dict(room or {})
    connection = await session.connection()
    postgres = connection.dialect.name == "postgresql"
    more = False
    # A second look when the first was cut off by the limit with endpoints out of room:
    # other endpoints' deliveries may wait behind theirs.
    for look in range(2 if look_past else 1):
        wanted = limit - len(picked)
        if look == 0 and (known_room := sum(s for s in free.values() if s > 0)):
            # No more rows than the endpoints it holds have room for: rows left for lack of
            # room are read for nothing, and another endpoint's are found by the second look.
            wanted = min(wanted, known_room)
        skip = [endpoint for endpoint, slots in free.items() if slots <= 0]
        parameters: dict[str, Any] = {"now": now, "limit": wanted}
        if skip:
            parameters["skip_endpoints"] = skip
        if picked:
            parameters["skip_ids"] = [row.id for row in picked]
        statement = _due(bool(skip), bool(picked), postgres)
        rows = (await connection.execute(statement, parameters)).all()
        left = 0
        for row in rows:
            if room is not None:
                if row.endpoint_id not in free:
                    concurrency = row.max_concurrency or DEFAULT_CONCURRENCY
                    slots = cap(concurrency, row.rate_limit_per_second) if cap else limit
                    free[row.endpoint_id] = slots
                if free[row.endpoint_id] <= 0:
                    left += 1  # unleased, for a later claim or another dispatcher
                    continue
                free[row.endpoint_id] -= 1
            picked.append(row)
        truncated = len(rows) >= wanted
        more = more or truncated or left > 0
        out_of_room = left or any(slots <= 0 for slots in free.values())
        if not (truncated and out_of_room and len(picked) < limit):
            break
    if not picked:
        return [], more
    ids = [row.id for row in picked]
    await connection.execute(
        _lease, {"ids": ids, "b_lease_until": now + lease, "b_worker": worker_id}
    )
    return [_claimed(row, now) for row in picked], more


def _claimed(row: Any, now: datetime) -> Claimed:
    secrets = [_plaintext(row.secret)]
    expires = row.previous_secret_expires_at
    if row.previous_secret and expires is not None and expires > now:
        secrets.append(_plaintext(row.previous_secret))
    return Claimed(
        delivery_id=row.id,
        attempts=row.attempts,
        endpoint_id=row.endpoint_id,
        url=row.url,
        secrets=tuple(secrets),
        max_concurrency=row.max_concurrency or DEFAULT_CONCURRENCY,
        rate_limit_per_second=row.rate_limit_per_second,
        body=encode(envelope(_EventView(row))),
        event_id=str(row.event_id),
        ordered=bool(row.ordered),
        endpoint_failing=row.failing_since is not None,
    )


class _EventView:
    """The event columns of a claimed row under the names `envelope` reads."""

    __slots__ = ("entity_id", "entity_type", "id", "occurred_at", "payload", "sequence", "type")

    def __init__(self, row: Any) -> None:
        self.id = row.event_id
        self.type = row.type
        self.entity_type = row.entity_type
        self.entity_id = row.entity_id
        self.sequence = row.sequence
        self.payload = row.payload
        self.occurred_at = row.occurred_at
