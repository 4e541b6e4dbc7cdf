"""Frontend users signing in with tokens of an OpenID Connect provider (a test key pair)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import AsyncIterator, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import ECKey, OctKey, RSAKey
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.http.asgi import create_app
from app.http.auth import AuthenticationError, authenticate_request
from app.settings import Settings
from kernel.principal import Principal, PrincipalKind

ISSUER = "https://id.example.com/"
AUDIENCE = "crm-frontend"
QUERY = {"query": "{ users { totalCount } }"}


@pytest.fixture(scope="module")
def rsa_key() -> RSAKey:
    return RSAKey.generate_key(2048, {"kid": "key-1", "use": "sig"}, private=True)


@pytest.fixture
def jwks_file(tmp_path: Path, rsa_key: RSAKey) -> Path:
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps({"keys": [rsa_key.as_dict(private=False)]}))
    return path


@pytest.fixture
def oidc_settings(settings: Settings, jwks_file: Path) -> Settings:
    return settings.model_copy(
        update={"oidc_issuer": ISSUER, "oidc_audience": AUDIENCE, "oidc_jwks_file": jwks_file}
    )


async def _client_for(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://crm.test") as client:
        yield client
    await app.state.engine.dispose()


@pytest.fixture
async def oidc_http(oidc_settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async for client in _client_for(oidc_settings):
        yield client


def sign(key: Any, alg: str = "RS256", **overrides: Any) -> str:
    now = int(time.time())
    claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": "idp|1", "iat": now, "exp": now + 300}
    claims.update(overrides)
    claims = {name: value for name, value in claims.items() if value is not None}
    return jwt.encode({"alg": alg, "kid": key.kid}, claims, key)


async def status_with(http: httpx.AsyncClient, token: str) -> int:
    response = await http.post("/graphql", json=QUERY, headers={"authorization": f"Bearer {token}"})
    return response.status_code


async def test_token_of_a_user_known_by_subject_is_accepted(
    oidc_http: httpx.AsyncClient, rsa_key: RSAKey, make: Any
) -> None:
    await make.user(external_id="idp|1")

    assert await status_with(oidc_http, sign(rsa_key)) == 200


async def test_subject_maps_to_the_user_with_their_role(
    oidc_settings: Settings,
    session_factory: async_sessionmaker[AsyncSession],
    rsa_key: RSAKey,
    make: Any,
) -> None:
    user = await make.user(external_id="idp|1", role="support", email="sam@example.com")

    principal = await authenticate_request(
        oidc_settings, session_factory, f"Bearer {sign(rsa_key, email='other@example.com')}"
    )

    assert principal == Principal(
        subject="sam@example.com", kind=PrincipalKind.USER, role="support", user_id=user.id
    )


async def test_email_maps_to_the_user_ignoring_case(
    oidc_settings: Settings,
    session_factory: async_sessionmaker[AsyncSession],
    rsa_key: RSAKey,
    make: Any,
) -> None:
    user = await make.user(email="Ada@Example.com", role="marketing")

    principal = await authenticate_request(
        oidc_settings,
        session_factory,
        f"Bearer {sign(rsa_key, sub='idp|2', email='ada@example.COM')}",
    )

    assert (principal.user_id, principal.role) == (user.id, "marketing")


async def test_token_of_a_user_known_by_email_is_accepted_over_http(
    oidc_http: httpx.AsyncClient, rsa_key: RSAKey, make: Any
) -> None:
    await make.user(email="ada@example.com")

    assert await status_with(oidc_http, sign(rsa_key, email="ada@example.com")) == 200


async def test_unverified_email_maps_to_nobody(
    oidc_http: httpx.AsyncClient, rsa_key: RSAKey, make: Any
) -> None:
    await make.user(email="ada@example.com")

    token = sign(rsa_key, email="ada@example.com", email_verified=False)

    assert await status_with(oidc_http, token) == 401


async def test_unknown_user_is_refused(oidc_http: httpx.AsyncClient, rsa_key: RSAKey) -> None:
    assert await status_with(oidc_http, sign(rsa_key, email="nobody@example.com")) == 401


async def test_inactive_user_is_refused(
    oidc_http: httpx.AsyncClient, rsa_key: RSAKey, make: Any
) -> None:
    await make.user(external_id="idp|1", active=False)

    assert await status_with(oidc_http, sign(rsa_key)) == 401


async def test_wrong_issuer_is_refused(
    oidc_http: httpx.AsyncClient, rsa_key: RSAKey, make: Any
) -> None:
    await make.user(external_id="idp|1")

    assert await status_with(oidc_http, sign(rsa_key, iss="https://evil.example.com/")) == 401


async def test_wrong_audience_is_refused(
    oidc_http: httpx.AsyncClient, rsa_key: RSAKey, make: Any
) -> None:
    await make.user(external_id="idp|1")

    assert await status_with(oidc_http, sign(rsa_key, aud="another-app")) == 401


async def test_audience_list_containing_ours_is_accepted(
    oidc_http: httpx.AsyncClient, rsa_key: RSAKey, make: Any
) -> None:
    await make.user(external_id="idp|1")

    assert await status_with(oidc_http, sign(rsa_key, aud=["another-app", AUDIENCE])) == 200


async def test_expired_token_is_refused(
    oidc_http: httpx.AsyncClient, rsa_key: RSAKey, make: Any
) -> None:
    await make.user(external_id="idp|1")
    now = int(time.time())

    token = sign(rsa_key, iat=now - 600, exp=now - 120)

    assert await status_with(oidc_http, token) == 401


async def test_token_not_yet_valid_is_refused(
    oidc_http: httpx.AsyncClient, rsa_key: RSAKey, make: Any
) -> None:
    await make.user(external_id="idp|1")

    assert await status_with(oidc_http, sign(rsa_key, nbf=int(time.time()) + 600)) == 401


async def test_forged_signature_is_refused(oidc_http: httpx.AsyncClient, make: Any) -> None:
    await make.user(external_id="idp|1")
    forger = RSAKey.generate_key(2048, {"kid": "key-1"}, private=True)

    assert await status_with(oidc_http, sign(forger)) == 401


async def test_symmetric_token_claiming_the_issuer_is_refused(
    oidc_http: httpx.AsyncClient, oidc_settings: Settings, make: Any
) -> None:
    await make.user(external_id="idp|1")
    key = OctKey.import_key(oidc_settings.crm_secret_key, {"kid": "key-1"})

    assert await status_with(oidc_http, sign(key, alg="HS256")) == 401


async def test_operator_tokens_still_work_beside_oidc(
    oidc_http: httpx.AsyncClient, admin_token: str
) -> None:
    assert await status_with(oidc_http, admin_token) == 200


async def test_es256_keys_are_accepted(settings: Settings, tmp_path: Path, make: Any) -> None:
    await make.user(external_id="idp|1")
    key = ECKey.generate_key("P-256", {"kid": "ec-1"}, private=True)
    path = tmp_path / "ec.json"
    path.write_text(json.dumps({"keys": [key.as_dict(private=False)]}))
    ec_settings = settings.model_copy(
        update={"oidc_issuer": ISSUER, "oidc_audience": AUDIENCE, "oidc_jwks_file": path}
    )

    principal = await _principal(ec_settings, sign(key, alg="ES256"))

    assert principal.kind is PrincipalKind.USER


async def _principal(settings: Settings, token: str) -> Principal:
    from app.db import create_engine, create_session_factory

    engine = create_engine(settings.database_url)
    try:
        return await authenticate_request(
            settings, create_session_factory(engine), f"Bearer {token}"
        )
    finally:
        await engine.dispose()


@pytest.fixture
def jwks_server(rsa_key: RSAKey) -> Iterator[tuple[str, list[str]]]:
    """A loopback JWKS endpoint; yields its URL and the paths it served."""
    hits: list[str] = []
    body = json.dumps({"keys": [rsa_key.as_dict(private=False)]}).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hits.append(self.path)
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/jwks.json", hits
    server.shutdown()
    server.server_close()


async def test_keys_from_the_jwks_url_are_fetched_once_and_cached(
    settings: Settings, jwks_server: tuple[str, list[str]], rsa_key: RSAKey, make: Any
) -> None:
    await make.user(external_id="idp|1")
    url, hits = jwks_server
    url_settings = settings.model_copy(
        update={"oidc_issuer": ISSUER, "oidc_audience": AUDIENCE, "oidc_jwks_url": url}
    )

    async for http in _client_for(url_settings):
        statuses = [await status_with(http, sign(rsa_key)) for _ in range(2)]

    assert statuses == [200, 200]
    assert hits == ["/jwks.json"]


async def test_refused_token_raises_authentication_error(
    oidc_settings: Settings, session_factory: async_sessionmaker[AsyncSession], rsa_key: RSAKey
) -> None:
    with pytest.raises(AuthenticationError, match="no CRM user"):
        await authenticate_request(oidc_settings, session_factory, f"Bearer {sign(rsa_key)}")
