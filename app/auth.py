"""Bearer tokens: JWTs signed with CRM_SECRET_KEY (joserfc, authlib's JOSE library)."""

from __future__ import annotations

import time
import uuid

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import OctKey

from app.settings import Settings
from resolvers.principal import Principal, PrincipalKind

ALGORITHM = "HS256"


class AuthenticationError(Exception):
    """The request carries no usable credentials."""


def _key(settings: Settings) -> OctKey:
    return OctKey.import_key(settings.crm_secret_key)


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
    return jwt.encode({"alg": ALGORITHM}, claims, _key(settings))


def authenticate(settings: Settings, authorization: str | None) -> Principal:
    """The principal behind an `Authorization: Bearer` header, or AuthenticationError."""
    if not authorization:
        raise AuthenticationError("missing bearer token")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthenticationError("expected 'Authorization: Bearer <token>'")
    try:
        decoded = jwt.decode(token.strip(), _key(settings), algorithms=[ALGORITHM])
        jwt.JWTClaimsRegistry(
            exp={"essential": True},
            sub={"essential": True},
            iss={"essential": True, "value": settings.crm_token_issuer},
        ).validate(decoded.claims)
        claims = decoded.claims
        uid = claims.get("uid")
        return Principal(
            subject=str(claims["sub"]),
            kind=PrincipalKind(claims.get("kind", PrincipalKind.USER.value)),
            role=claims.get("role"),
            scopes=frozenset(str(claims.get("scope", "")).split()),
            user_id=uuid.UUID(uid) if uid else None,
        )
    except (JoseError, ValueError, KeyError) as exc:
        raise AuthenticationError(f"invalid token: {exc}") from exc
