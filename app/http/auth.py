"""Bearer tokens: our JWTs signed with CRM_SECRET_KEY (joserfc, authlib's JOSE library), and
the OpenID Connect provider's tokens for frontend users."""

from __future__ import annotations

import base64
import binascii
import json
import logging
import time
import uuid
from functools import lru_cache

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import OctKey
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.http.oidc import OIDCError, oidc_principal
from app.settings import Settings
from kernel.principal import Principal, PrincipalKind
from resolvers.identity.clients import is_active_client
from resolvers.identity.users import is_active_user

ALGORITHM = "HS256"

logger = logging.getLogger("crm.auth")


class AuthenticationError(Exception):
    """The request carries no usable credentials."""


def _key(secret: str) -> OctKey:
    return OctKey.import_key(secret)


def issue_token(
    settings: Settings,
    principal: Principal,
    ttl_seconds: int | None = None,
) -> str:
    """A signed JWT carrying the principal's kind, role, scopes and user id."""
    now = int(time.time())
    claims: dict[str, object] = {
        "iss": settings.crm_token_issuer,
        "sub": principal.subject,
        "iat": now,
        "exp": now + (ttl_seconds or settings.crm_token_ttl_seconds),
        "jti": uuid.uuid4().hex,
        "kind": principal.kind.value,
        "scope": " ".join(sorted(principal.scopes)),
    }
    if principal.role:
        claims["role"] = principal.role
    if principal.user_id:
        claims["uid"] = str(principal.user_id)
    return jwt.encode({"alg": ALGORITHM}, claims, _key(settings.crm_secret_key))


def authenticate(settings: Settings, authorization: str | None) -> Principal:
    """The principal behind an `Authorization: Bearer` header carrying one of our own tokens
    (no database check: see `authenticate_request`), or AuthenticationError."""
    token = _bearer_token(authorization)
    principal, expires = _verified(token, settings.crm_secret_key, settings.crm_token_issuer)
    if expires > time.time():
        return principal
    return _check(token, settings.crm_secret_key, settings.crm_token_issuer)[0]  # raises


def _check(token: str, secret: str, issuer: str) -> tuple[Principal, float]:
    """The principal of a token whose signature and claims check out, and when it expires."""
    try:
        decoded = jwt.decode(token, _key(secret), algorithms=[ALGORITHM])
        jwt.JWTClaimsRegistry(
            exp={"essential": True},
            sub={"essential": True},
            iss={"essential": True, "value": issuer},
        ).validate(decoded.claims)
        claims = decoded.claims
        uid = claims.get("uid")
        principal = Principal(
            subject=str(claims["sub"]),
            kind=PrincipalKind(claims.get("kind", PrincipalKind.USER.value)),
            role=claims.get("role"),
            scopes=frozenset(str(claims.get("scope", "")).split()),
            user_id=uuid.UUID(uid) if uid else None,
        )
        return principal, float(claims["exp"])
    except (JoseError, ValueError, KeyError) as exc:
        raise AuthenticationError(f"invalid token: {exc}") from exc


# A token's signature is checked once (a client sends the same token for its lifetime), its
# expiry on every use; refused tokens are not kept. Keyed by secret and issuer, so a rotated
# key checks every token again.
_verified = lru_cache(maxsize=4096)(_check)


async def authenticate_request(
    settings: Settings,
    session_factory: async_sessionmaker[AsyncSession],
    authorization: str | None,
) -> Principal:
    """The principal behind a request's bearer token: one of ours (API clients must still be
    active) or, from the configured OIDC issuer, a CRM user's; AuthenticationError otherwise."""
    try:
        token = _bearer_token(authorization)
        if settings.oidc_issuer and _unverified_issuer(token) == settings.oidc_issuer:
            try:
                return await oidc_principal(settings, session_factory, token)
            except OIDCError as exc:
                raise AuthenticationError(str(exc)) from exc
        principal = authenticate(settings, authorization)
        if principal.kind is PrincipalKind.CLIENT:
            async with session_factory() as session:
                if not await is_active_client(session, principal.subject):
                    raise AuthenticationError("the API client is revoked or unknown")
        elif principal.user_id is not None:
            # A user who left (deactivated, e.g. by the HRM) loses every token at once.
            async with session_factory() as session:
                if not await is_active_user(session, principal.user_id):
                    raise AuthenticationError("the user is deactivated or unknown")
        return principal
    except AuthenticationError as exc:
        # Refused bearer tokens are logged, not audited: they are too frequent to audit.
        logger.info("bearer token refused: %s", exc)
        raise


def _bearer_token(authorization: str | None) -> str:
    if not authorization:
        raise AuthenticationError("missing bearer token")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthenticationError("expected 'Authorization: Bearer <token>'")
    return token.strip()


def _unverified_issuer(token: str) -> object:
    """The `iss` of a JWT, read only to pick the verifier that will check it."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError, binascii.Error):
        return None
    return claims.get("iss") if isinstance(claims, dict) else None
