"""Idempotency keys: a partner's mutation request runs once per (principal, key).

The key is claimed by inserting its row in a short transaction of its own, committed before
the request runs; the unique constraint on (actor, key) decides between concurrent requests on
SQLite and PostgreSQL alike. See docs/idempotency.md.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kernel.tables import canonical_json, table_of
from kernel.unit_of_work import unit_of_work
from models import utcnow
from models.integrations import IdempotencyKey

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"

keys = table_of(IdempotencyKey)
_VALID_KEY = re.compile(r"[\x20-\x7e]{1,255}")
# A row released between our failed insert and our read: try the insert again, a few times.
_ATTEMPTS = 3


def is_valid_key(key: str) -> bool:
    """1 to 255 printable ASCII characters."""
    return _VALID_KEY.fullmatch(key) is not None


def fingerprint(params: Any) -> str:
    """SHA-256 of the request's parameters as canonical JSON: formatting does not count."""
    return hashlib.sha256(canonical_json(params).encode()).hexdigest()


@dataclass(frozen=True)
class Claimed:
    """This request holds the key: run it, then `complete` or `release` the claim."""

    id: uuid.UUID


@dataclass(frozen=True)
class Stored:
    """The key's request already ran: answer with its response."""

    status_code: int
    response: str


class Refusal(StrEnum):
    REUSED = "reused"  # the key named a different request
    IN_PROGRESS = "in_progress"  # the key's request has not finished (or never will: see docs)


async def claim(
    factory: async_sessionmaker[AsyncSession],
    actor: str,
    key: str,
    request_hash: str,
    ttl: timedelta,
) -> Claimed | Stored | Refusal:
    """Claim ``key`` for this request, or say why not. Expired keys count as absent."""
    for _ in range(_ATTEMPTS):
        now = utcnow()
        claim_id = uuid.uuid4()
        mine = (keys.c.actor == actor) & (keys.c.key == key)
        try:
            async with unit_of_work(factory) as session:
                await session.execute(delete(keys).where(mine, keys.c.expires_at <= now))
                await session.execute(
                    insert(keys).values(
                        id=claim_id,
                        actor=actor,
                        key=key,
                        request_hash=request_hash,
                        created_at=now,
                        expires_at=now + ttl,
                    )
                )
            return Claimed(claim_id)
        except IntegrityError:
            pass
        async with factory() as session:
            row = (
                await session.execute(
                    select(keys.c.request_hash, keys.c.status_code, keys.c.response).where(mine)
                )
            ).one_or_none()
        if row is None:
            continue
        if row.request_hash != request_hash:
            return Refusal.REUSED
        if row.status_code is None or row.response is None:
            return Refusal.IN_PROGRESS
        return Stored(row.status_code, row.response)
    return Refusal.IN_PROGRESS


async def complete(
    factory: async_sessionmaker[AsyncSession], claimed: Claimed, status_code: int, response: str
) -> None:
    """Store the response of the claimed request, for its retries."""
    async with unit_of_work(factory) as session:
        await session.execute(
            update(keys)
            .where(keys.c.id == claimed.id)
            .values(status_code=status_code, response=response)
        )


async def release(factory: async_sessionmaker[AsyncSession], claimed: Claimed) -> None:
    """Give the key back: the request was refused before anything could have changed."""
    async with unit_of_work(factory) as session:
        await session.execute(delete(keys).where(keys.c.id == claimed.id))


async def purge_expired(session: AsyncSession, now: datetime) -> int:
    """Delete expired keys; the number deleted."""
    result = await session.execute(delete(keys).where(keys.c.expires_at <= now))
    return int(result.rowcount)  # type: ignore[attr-defined]
