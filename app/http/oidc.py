"""Frontend users: ID or access tokens of the company's OpenID Connect provider.

A token is verified against the provider's keys (a JWKS file, or the JWKS URL fetched with
httpx and cached), its issuer, audience and times; its subject, or else its email, names
an active CRM user, whose role it acts with.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from typing import Any

import httpx
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.settings import Settings
from kernel.principal import Principal, PrincipalKind
from models import User

logger = logging.getLogger("crm.auth")

ALGORITHMS = ("RS256", "ES256")
# After a token names a key we do not have, wait this long before fetching the JWKS again.
REFETCH_AFTER_SECONDS = 10


class OIDCError(Exception):
    """An OIDC token that does not let anyone in."""


@dataclass
class _CachedKeys:
    keys: KeySet
    fetched_at: float
    version: object


_cache: dict[str, _CachedKeys] = {}


async def verify_oidc_token(settings: Settings, token: str) -> dict[str, Any]:
    """The claims of a valid token from the configured provider, or OIDCError."""
    if not (settings.oidc_issuer and settings.oidc_audience):
        raise OIDCError("OpenID Connect is not configured")
    try:
        keys = await _key_set(settings)
        try:
            decoded = jwt.decode(token, keys, algorithms=list(ALGORITHMS))
        except JoseError:
            # The provider may have rotated its keys since we fetched them.
            fresher = await _key_set(settings, refresh=True)
            if fresher is keys:
                raise
            decoded = jwt.decode(token, fresher, algorithms=list(ALGORITHMS))
        jwt.JWTClaimsRegistry(
            leeway=settings.oidc_leeway_seconds,
            iss={"essential": True, "value": settings.oidc_issuer},
            aud={"essential": True, "value": settings.oidc_audience},
            exp={"essential": True},
            sub={"essential": True},
        ).validate(decoded.claims)
    except (JoseError, ValueError) as exc:
        raise OIDCError(f"invalid OIDC token: {exc}") from exc
    return decoded.claims


async def oidc_principal(
    settings: Settings, session_factory: async_sessionmaker[AsyncSession], token: str
) -> Principal:
    """The CRM user behind a valid OIDC token, or OIDCError."""
    claims = await verify_oidc_token(settings, token)
    async with session_factory() as session:
        user = await _user_for(session, claims)
    if user is None:
        raise OIDCError("no CRM user for this identity")
    if not user.active:
        raise OIDCError("the CRM user is inactive")
    return Principal(
        subject=user.email, kind=PrincipalKind.USER, role=str(user.role), user_id=user.id
    )


async def _user_for(session: AsyncSession, claims: dict[str, Any]) -> User | None:
    by_subject = select(User).where(User.external_id == str(claims["sub"]))  # type: ignore[arg-type]
    user = (await session.execute(by_subject)).scalar_one_or_none()
    email = claims.get("email")
    # An address the provider says it has not verified names nobody.
    if user is not None or not isinstance(email, str) or claims.get("email_verified") is False:
        return user
    by_email = select(User).where(func.lower(User.email) == email.lower())
    return (await session.execute(by_email)).scalar_one_or_none()


async def _key_set(settings: Settings, refresh: bool = False) -> KeySet:
    if settings.oidc_jwks_file is not None:
        return _file_key_set(settings)
    url = settings.oidc_jwks_url
    assert url is not None
    cached = _cache.get(url)
    now = time.monotonic()
    age = now - cached.fetched_at if cached else None
    if cached is not None and age is not None:
        fresh = age < settings.oidc_jwks_cache_seconds
        if (fresh and not refresh) or (refresh and age < REFETCH_AFTER_SECONDS):
            return cached.keys
    try:
        async with httpx.AsyncClient(timeout=5.0) as client:
            response = await client.get(url, headers={"accept": "application/json"})
            response.raise_for_status()
            keys = KeySet.import_key_set(response.json())
    except (httpx.HTTPError, JoseError, ValueError, KeyError, TypeError) as exc:
        logger.warning("could not fetch the OIDC JWKS from %s: %s", url, exc)
        if cached is not None:
            return cached.keys
        raise OIDCError("the identity provider's keys are unavailable") from exc
    _cache[url] = _CachedKeys(keys, now, None)
    return keys


def _file_key_set(settings: Settings) -> KeySet:
    path = settings.oidc_jwks_file
    assert path is not None
    key = str(path)
    try:
        version = path.stat().st_mtime_ns
    except OSError as exc:
        raise OIDCError(f"cannot read the JWKS file: {exc}") from exc
    cached = _cache.get(key)
    if cached is None or cached.version != version:
        keys = KeySet.import_key_set(json.loads(path.read_bytes()))
        cached = _cache[key] = _CachedKeys(keys, time.monotonic(), version)
    return cached.keys
