"""Pull mode, for systems that cannot push: page through a connection's REST endpoint with an
`updated_since` cursor, applying each page and storing the cursor in the page's transaction.

A crash mid-way leaves the cursor after the last applied page: the next run starts there, so
nothing is applied twice (re-read records are at most `unchanged`) and nothing is skipped.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any

import httpx
from pydantic import BaseModel, ConfigDict, Field, HttpUrl, ValidationError
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from integrations.inbound import apply_batch
from integrations.records import MAX_BATCH
from kernel.tables import table_of
from models import utcnow
from models.encryption import current_keyring
from models.integrations import Connection, ConnectionState
from webhooks.endpoints import TargetPolicy
from webhooks.targets import resolve_target

logger = logging.getLogger("crm.integrations.pull")
connections = table_of(Connection)
PULL_KEY = "pull"
MASK = "********"
ENCRYPTED = "enc:"
MAX_PAGE_BYTES = 50_000_000


class PullSettings(BaseModel):
    """`settings.pull` of a connection."""

    model_config = ConfigDict(extra="forbid")

    url: HttpUrl
    interval_seconds: Annotated[int, Field(ge=10, le=86_400)] = 300
    page_size: Annotated[int, Field(ge=1, le=MAX_BATCH)] = 100
    # Sent with every request, e.g. the source system's own API key.
    headers: dict[str, str] = {}
    # Pages per run: a long backlog is caught up over several runs.
    max_pages: Annotated[int, Field(ge=1, le=10_000)] = 100


class PullPage(BaseModel):
    """What the source answers for one page."""

    records: Annotated[list[Any], Field(max_length=MAX_BATCH)]
    next_cursor: str | None = None
    has_more: bool = False


@dataclass(frozen=True)
class PullResult:
    connection: str
    pages: int
    records: int
    cursor: str | None
    error: str | None = None


def pull_settings(settings: dict[str, Any]) -> PullSettings | None:
    """The stored pull configuration, its header values decrypted."""
    raw = settings.get(PULL_KEY)
    if raw is None:
        return None
    headers = {name: _decrypted(value) for name, value in raw.get("headers", {}).items()}
    return PullSettings.model_validate({**raw, "headers": headers})


def stored_pull_settings(raw: dict[str, Any], previous: dict[str, Any] | None) -> dict[str, Any]:
    """Validated pull configuration as stored: header values (API keys) encrypted; a value
    given as the mask keeps the previous one."""
    kept = (previous or {}).get("headers", {})
    headers = {
        name: kept[name] if value == MASK and name in kept else value
        for name, value in raw.get("headers", {}).items()
    }
    masked = [name for name, value in headers.items() if value == MASK]
    if masked:
        raise ValueError(f"no stored value to keep for header {masked[0]!r}")
    config = PullSettings.model_validate({**raw, "headers": {}})
    stored = config.model_dump(mode="json", exclude_unset=True)
    stored["headers"] = {
        name: value if value.startswith(ENCRYPTED) else ENCRYPTED + current_keyring().encrypt(value)
        for name, value in headers.items()
    }
    return stored


def redacted(settings: dict[str, Any]) -> dict[str, Any]:
    """Settings as shown and audited: pull header values masked."""
    pull = settings.get(PULL_KEY)
    if not pull or not pull.get("headers"):
        return settings
    headers = dict.fromkeys(pull["headers"], MASK)
    return {**settings, PULL_KEY: {**pull, "headers": headers}}


def _decrypted(value: str) -> str:
    if value.startswith(ENCRYPTED):
        return current_keyring().decrypt(value.removeprefix(ENCRYPTED))
    return value


async def _claim(
    session_factory: async_sessionmaker[AsyncSession], connection_id: uuid.UUID
) -> Any:
    """The connection if this run may pull it now (it is active, configured and due); a
    conditional update makes concurrent schedulers pull each connection once."""
    async with session_factory() as session, session.begin():
        row = (
            await session.execute(select(connections).where(connections.c.id == connection_id))
        ).one_or_none()
        if row is None or row.state != ConnectionState.ACTIVE:
            return None
        config = pull_settings(row.settings)
        if config is None:
            return None
        now = utcnow()
        if (
            row.last_pulled_at is not None
            and row.last_pulled_at + timedelta(seconds=config.interval_seconds) > now
        ):
            return None
        claimed = await session.execute(
            update(connections)
            .where(
                connections.c.id == connection_id,
                connections.c.last_pulled_at.is_(None)
                if row.last_pulled_at is None
                else connections.c.last_pulled_at == row.last_pulled_at,
            )
            .values(last_pulled_at=now)
        )
        return row if claimed.rowcount == 1 else None  # type: ignore[attr-defined]


async def pull_connection(
    session_factory: async_sessionmaker[AsyncSession],
    connection_id: uuid.UUID,
    client: httpx.AsyncClient,
    policy: TargetPolicy,
    force: bool = False,
) -> PullResult | None:
    """Pull what changed since the stored cursor, page by page; None when not due. The URL
    must pass ``policy`` (https, public addresses) and is called at the address checked."""
    row = (
        await _claim(session_factory, connection_id)
        if not force
        else await _load(session_factory, connection_id)
    )
    if row is None:
        return None
    config = pull_settings(row.settings)
    assert config is not None  # checked by the claim
    cursor, pages, records = row.pull_cursor, 0, 0
    try:
        while pages < config.max_pages:
            params: dict[str, Any] = {"limit": config.page_size}
            if cursor:
                params["updated_since"] = cursor
            page = await _fetch(client, config, params, policy)
            if page.has_more and not page.next_cursor:
                raise ValueError("the page says has_more but gives no next_cursor")
            next_cursor = page.next_cursor or cursor
            await apply_batch(session_factory, row.id, page.records, cursor=next_cursor)
            pages, records, cursor = pages + 1, records + len(page.records), next_cursor
            if not page.has_more or not page.records:
                break
    except (httpx.HTTPError, ValidationError, ValueError) as exc:  # UnsafeURLError too
        error = f"pull failed after {pages} page(s): {exc}"[:1000]
        logger.warning("pull of %s failed: %s", row.name, error)
        async with session_factory() as session, session.begin():
            await session.execute(
                update(connections)
                .where(connections.c.id == row.id)
                .values(last_error=error, last_error_at=utcnow())
            )
        return PullResult(row.name, pages, records, cursor, error)
    return PullResult(row.name, pages, records, cursor)


async def _fetch(
    client: httpx.AsyncClient, config: PullSettings, params: dict[str, Any], policy: TargetPolicy
) -> PullPage:
    """One page, from the address the URL's host resolved to when checked (no redirects)."""
    target = await resolve_target(
        str(config.url), allow_http=policy.allow_http, allowed_networks=policy.allowed_networks
    )
    host = target.host if target.port in (80, 443) else f"{target.host}:{target.port}"
    request = client.build_request(
        "GET",
        target.connect_url,
        params=params,
        headers={**config.headers, "host": host},
        extensions={"sni_hostname": target.host},
    )
    response = await client.send(request)
    response.raise_for_status()
    if len(response.content) > MAX_PAGE_BYTES:
        raise ValueError(f"the page is over {MAX_PAGE_BYTES} bytes")
    return PullPage.model_validate_json(response.content)


async def _load(session_factory: async_sessionmaker[AsyncSession], connection_id: uuid.UUID) -> Any:
    async with session_factory() as session:
        row = (
            await session.execute(select(connections).where(connections.c.id == connection_id))
        ).one_or_none()
    if row is None or row.state != ConnectionState.ACTIVE:
        return None
    return row if pull_settings(row.settings) is not None else None


async def pull_due(
    session_factory: async_sessionmaker[AsyncSession],
    client: httpx.AsyncClient,
    policy: TargetPolicy,
) -> list[PullResult]:
    """Pull every active connection whose interval has passed."""
    async with session_factory() as session:
        candidates = (
            await session.scalars(
                select(connections.c.id).where(connections.c.state == ConnectionState.ACTIVE)
            )
        ).all()
    results = []
    for connection_id in candidates:
        result = await pull_connection(session_factory, connection_id, client, policy)
        if result is not None:
            results.append(result)
    return results
