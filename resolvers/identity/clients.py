"""API clients: create, rotate, revoke and list them; hash and check their secrets.

A secret is shown once, when it is created or rotated; only an scrypt hash with a salt of its
own is stored. Every change writes an audit entry (never the secret) in its transaction.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from integrations.registry import get_connector
from kernel.audit import record_audit
from kernel.errors import ErrorCode, ServiceError, UserError
from kernel.permissions import ALL_SCOPES, Scope, has_scope
from kernel.principal import Principal
from kernel.tables import json_value, table_of
from models import ApiClient, utcnow

ENTITY = "api_client"
MAX_NAME_LENGTH = 200
# scrypt at n=2**14, r=8 (16 MiB, tens of milliseconds): the work factor OWASP recommends.
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P, _SCRYPT_LENGTH = 2**14, 8, 1, 32
_REDACTED = "redacted"
api_clients = table_of(ApiClient)


@dataclass(frozen=True)
class IssuedSecret:
    """A client with its new secret, which is never shown again."""

    client: ApiClient
    secret: str


def hash_secret(secret: str) -> str:
    """`scrypt$n$r$p$salt$digest` with a fresh random salt."""
    salt = secrets.token_bytes(16)
    digest = _scrypt(secret, salt, _SCRYPT_N, _SCRYPT_R, _SCRYPT_P, _SCRYPT_LENGTH)
    return f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def verify_secret(secret: str, stored: str) -> bool:
    """Whether ``secret`` matches the stored hash (compared in constant time)."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        expected = _unb64(digest)
        if scheme != "scrypt":
            return False
        candidate = _scrypt(secret, _unb64(salt), int(n), int(r), int(p), len(expected))
    except ValueError:
        return False
    return hmac.compare_digest(candidate, expected)


def _scrypt(secret: str, salt: bytes, n: int, r: int, p: int, length: int) -> bytes:
    return hashlib.scrypt(
        secret.encode(), salt=salt, n=n, r=r, p=p, dklen=length, maxmem=64 * 1024 * 1024
    )


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _check_allowed(principal: Principal) -> None:
    if not has_scope(principal, Scope.CLIENTS_MANAGE):
        raise ServiceError.single(ErrorCode.FORBIDDEN, "requires the clients:manage scope")


def _is_connector_scope(scope: str) -> bool:
    """`connector:<name>` for an installed connector: may send it inbound records."""
    prefix, _, name = scope.partition(":")
    return prefix == "connector" and get_connector(name) is not None


def _validated(name: str, scopes: Sequence[str]) -> tuple[str, list[str]]:
    errors: list[UserError] = []
    name = name.strip()
    if not name:
        errors.append(UserError(ErrorCode.VALIDATION, "must not be empty", ("name",)))
    elif len(name) > MAX_NAME_LENGTH:
        errors.append(
            UserError(ErrorCode.VALIDATION, f"at most {MAX_NAME_LENGTH} characters", ("name",))
        )
    if not scopes:
        errors.append(UserError(ErrorCode.VALIDATION, "at least one scope", ("scopes",)))
    errors.extend(
        UserError(ErrorCode.VALIDATION, f"unknown scope {scope!r}", ("scopes", str(index)))
        for index, scope in enumerate(scopes)
        if scope not in ALL_SCOPES and not _is_connector_scope(scope)
    )
    if errors:
        raise ServiceError(errors)
    return name, sorted(set(scopes))


def _change(old: Any, new: Any) -> dict[str, Any]:
    return {"old": json_value(old), "new": json_value(new)}


async def create_api_client(
    session: AsyncSession, principal: Principal, name: str, scopes: Sequence[str]
) -> IssuedSecret:
    """A new client holding ``scopes``, with a fresh client id and secret."""
    _check_allowed(principal)
    name, granted = _validated(name, scopes)
    secret = secrets.token_urlsafe(32)
    client = ApiClient(
        name=name,
        client_id=secrets.token_hex(16),
        secret_hash=hash_secret(secret),
        scopes=granted,
        created_by=principal.actor,
    )
    session.add(client)
    await session.flush()
    changes = {
        "name": _change(None, name),
        "client_id": _change(None, client.client_id),
        "scopes": _change(None, granted),
    }
    record_audit(session, principal, f"{ENTITY}.created", ENTITY, client.id, changes)
    return IssuedSecret(client, secret)


async def rotate_api_client_secret(
    session: AsyncSession, principal: Principal, client_pk: uuid.UUID
) -> IssuedSecret:
    """A new secret for an active client; the old one stops working at once."""
    _check_allowed(principal)
    client = await _active_client(session, client_pk)
    secret = secrets.token_urlsafe(32)
    client.secret_hash = hash_secret(secret)
    _bump(client)
    changes = {"secret": _change(_REDACTED, _REDACTED)}
    record_audit(session, principal, f"{ENTITY}.rotated", ENTITY, client.id, changes)
    return IssuedSecret(client, secret)


async def revoke_api_client(
    session: AsyncSession, principal: Principal, client_pk: uuid.UUID
) -> ApiClient:
    """Revoke a client: no new tokens, and its tokens are refused from the next request."""
    _check_allowed(principal)
    client = await _active_client(session, client_pk)
    client.revoked_at = utcnow()
    _bump(client)
    changes = {"revoked_at": _change(None, client.revoked_at)}
    record_audit(session, principal, f"{ENTITY}.revoked", ENTITY, client.id, changes)
    return client


async def list_api_clients(session: AsyncSession, principal: Principal) -> list[ApiClient]:
    """Every client, revoked ones included, by name."""
    _check_allowed(principal)
    result = await session.execute(select(ApiClient).order_by(api_clients.c.name, api_clients.c.id))
    return list(result.scalars())


async def find_api_client(session: AsyncSession, client_id: str) -> ApiClient | None:
    """The client with this public client id, revoked or not."""
    statement = select(ApiClient).where(api_clients.c.client_id == client_id)
    return (await session.execute(statement)).scalar_one_or_none()


async def api_client_pk(session: AsyncSession, client_id: str) -> uuid.UUID:
    """The row id of the client with this public client id; NOT_FOUND if there is none."""
    client = await find_api_client(session, client_id)
    if client is None:
        raise ServiceError.single(ErrorCode.NOT_FOUND, f"no API client {client_id!r}", "id")
    return client.id


async def is_active_client(session: AsyncSession, client_id: str) -> bool:
    """Whether a client with this client id exists and is not revoked."""
    statement = select(api_clients.c.id).where(
        api_clients.c.client_id == client_id, api_clients.c.revoked_at.is_(None)
    )
    return (await session.scalar(statement)) is not None


async def record_token_issued(
    session: AsyncSession, principal: Principal, client_pk: uuid.UUID, scopes: Sequence[str]
) -> None:
    """Note the client's last use and audit the token (`auth.token_issued`)."""
    await session.execute(
        update(api_clients).where(api_clients.c.id == client_pk).values(last_used_at=utcnow())
    )
    record_audit(
        session, principal, "auth.token_issued", ENTITY, client_pk, {"scopes": sorted(scopes)}
    )


def record_sign_in_failure(
    session: AsyncSession,
    client_id: str | None,
    client_pk: uuid.UUID | None,
    error: str,
    description: str | None,
) -> None:
    """Audit a refused token request (`auth.failed`) under the client id it tried."""
    actor = f"client:{client_id[:64]}" if client_id else "anonymous"
    changes = {"error": error, "description": description}
    record_audit(session, None, "auth.failed", ENTITY, client_pk, changes, actor=actor)


async def _active_client(session: AsyncSession, client_pk: uuid.UUID) -> ApiClient:
    statement = select(ApiClient).where(api_clients.c.id == client_pk).with_for_update()
    client = (await session.execute(statement)).scalar_one_or_none()
    if client is None:
        raise ServiceError.single(ErrorCode.NOT_FOUND, "API client not found", "id")
    if client.revoked_at is not None:
        raise ServiceError.single(ErrorCode.INVALID_STATE, "API client is revoked", "id")
    return client


def _bump(client: ApiClient) -> None:
    client.version += 1
    client.updated_at = utcnow()
