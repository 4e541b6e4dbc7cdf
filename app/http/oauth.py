"""Partners: OAuth2 client credentials (RFC 6749 section 4.4) at `POST /oauth/token`.

Authlib has no Starlette server integration; this is a small one. The endpoint reads the form
and loads the named clients asynchronously, runs authlib's synchronous grant in a worker thread
(checking a secret hash is slow on purpose), then notes the client's last use and writes the
audit entry: `auth.token_issued`, or `auth.failed` in a transaction of its own.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from authlib.oauth2.rfc6749 import (
    AuthorizationServer,
    ClientMixin,
    OAuth2Payload,
    OAuth2Request,
)
from authlib.oauth2.rfc6749.errors import (
    InsecureTransportError,
    InvalidClientError,
    InvalidRequestError,
    InvalidScopeError,
    OAuth2Error,
)
from authlib.oauth2.rfc6749.grants import ClientCredentialsGrant
from authlib.oauth2.rfc6749.util import extract_basic_authorization, scope_to_list
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from app.http.auth import issue_token
from app.settings import Environment, Settings
from kernel.audit import current_client_ip
from kernel.principal import Principal, PrincipalKind
from kernel.unit_of_work import unit_of_work
from models import ApiClient
from resolvers.identity.clients import (
    find_api_client,
    record_sign_in_failure,
    record_token_issued,
    verify_secret,
)

FORM = "application/x-www-form-urlencoded"
MAX_BODY_BYTES = 16_384
AUTH_METHODS = ["client_secret_basic", "client_secret_post"]


@dataclass(frozen=True)
class TokenRequest:
    """What authlib needs of an HTTP request, read asynchronously beforehand."""

    url: str
    headers: Mapping[str, str]
    form: list[tuple[str, str]]
    problem: str | None = None  # why the body is not a usable form


@dataclass(frozen=True)
class TokenResponse:
    status: int
    body: dict[str, Any]
    headers: list[tuple[str, str]]


class ApiClientAdapter(ClientMixin):  # type: ignore[misc]
    """authlib's view of an `ApiClient` row: confidential, client credentials only."""

    def __init__(self, row: ApiClient) -> None:
        self.row = row

    def get_client_id(self) -> str:
        return self.row.client_id

    def get_default_redirect_uri(self) -> None:
        return None

    def get_allowed_scope(self, scope: str | None) -> str:
        requested = scope_to_list(scope) if scope else self.row.scopes
        return " ".join(sorted(set(requested) & set(self.row.scopes)))

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return False

    def check_client_secret(self, client_secret: str) -> bool:
        return verify_secret(str(client_secret), self.row.secret_hash)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return endpoint == "token" and method in AUTH_METHODS

    def check_response_type(self, response_type: str) -> bool:
        return False

    def check_grant_type(self, grant_type: str) -> bool:
        return bool(grant_type == "client_credentials")


class ApiClientCredentialsGrant(ClientCredentialsGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS = AUTH_METHODS

    def validate_token_request(self) -> None:
        basic_client_id, _ = extract_basic_authorization(self.request.headers)
        if basic_client_id and "client_secret" in self.request.form:
            raise InvalidRequestError("Use one client authentication method, not two.")
        super().validate_token_request()

    def validate_requested_scope(self) -> None:
        requested = set(scope_to_list(self.request.payload.scope) or ())
        if not requested <= set(self.request.client.row.scopes):
            raise InvalidScopeError("The requested scope exceeds the client's scopes.")


class _FormPayload(OAuth2Payload):  # type: ignore[misc]
    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        self._data = dict(pairs)
        self._datalist: defaultdict[str, list[str]] = defaultdict(list)
        for name, value in pairs:
            self._datalist[name].append(value)

    @property
    def data(self) -> dict[str, str]:
        return self._data

    @property
    def datalist(self) -> defaultdict[str, list[str]]:
        return self._datalist


class _FormRequest(OAuth2Request):  # type: ignore[misc]
    def __init__(self, request: TokenRequest, uri: str) -> None:
        super().__init__("POST", uri, headers=request.headers)
        self.payload = _FormPayload(request.form)

    @property
    def args(self) -> dict[str, str]:
        return {}

    @property
    def form(self) -> dict[str, str]:
        return self.payload.data


class TokenServer(AuthorizationServer):  # type: ignore[misc]
    """One token request's authorization server, over the client rows it names."""

    def __init__(self, settings: Settings, clients: Mapping[str, ApiClient]) -> None:
        super().__init__()
        self.settings = settings
        self.clients = clients
        self.issued_to: ApiClient | None = None
        self.register_grant(ApiClientCredentialsGrant)
        self.register_token_generator("default", self._generate_token)

    def query_client(self, client_id: str) -> ApiClientAdapter | None:
        row = self.clients.get(client_id)
        return ApiClientAdapter(row) if row is not None and row.revoked_at is None else None

    def save_token(self, token: dict[str, Any], request: OAuth2Request) -> None:
        self.issued_to = request.client.row  # our tokens are JWTs: nothing to store

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        return None

    def create_oauth2_request(self, request: OAuth2Request) -> OAuth2Request:
        return request

    def handle_response(
        self, status: int, body: dict[str, Any], headers: list[tuple[str, str]]
    ) -> TokenResponse:
        return TokenResponse(status, body, headers)

    def handle_error_response(self, request: Any, error: OAuth2Error) -> TokenResponse:
        if isinstance(error, InvalidClientError):
            # authlib answers 400 for unknown clients sent in the form; credentials that do
            # not work are a 401 with a WWW-Authenticate challenge however they were sent.
            error.status_code = 401
        return super().handle_error_response(request, error)  # type: ignore[no-any-return]

    def create_token_response(self, request: TokenRequest) -> TokenResponse:
        try:
            oauth_request = _FormRequest(request, self._transport_uri(request.url))
        except InsecureTransportError as error:
            return self.handle_error_response(None, error)
        problem = request.problem
        if problem is None and not oauth_request.payload.grant_type:
            problem = "Missing grant_type."
        if problem is not None:
            return self.handle_error_response(oauth_request, InvalidRequestError(problem))
        return super().create_token_response(oauth_request)  # type: ignore[no-any-return]

    def _transport_uri(self, url: str) -> str:
        # authlib refuses plain HTTP (RFC 6749 section 1.6); a development server has no TLS.
        if self.settings.crm_env is Environment.DEVELOPMENT and url.startswith("http://"):
            return "https://" + url.removeprefix("http://")
        return url

    def _generate_token(
        self,
        grant_type: str,
        client: ApiClientAdapter,
        user: Any = None,
        scope: str | None = None,
        expires_in: int | None = None,
        include_refresh_token: bool = False,
    ) -> dict[str, Any]:
        granted = client.get_allowed_scope(scope)
        principal = Principal(
            subject=client.get_client_id(),
            kind=PrincipalKind.CLIENT,
            scopes=frozenset(granted.split()),
        )
        ttl = self.settings.oauth_token_ttl_seconds
        return {
            "access_token": issue_token(self.settings, principal, ttl),
            "token_type": "Bearer",
            "expires_in": ttl,
            "scope": granted,
        }


async def read_token_request(request: Request) -> TokenRequest:
    """The form of a token request, or why it cannot be used (an `invalid_request`)."""
    url, headers = str(request.url), request.headers
    content_type = headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != FORM:
        return TokenRequest(url, headers, [], f"Send the parameters as {FORM}.")
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            return TokenRequest(url, headers, [], "The request body is too large.")
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True)
    except UnicodeDecodeError:
        return TokenRequest(url, headers, [], "The request body is not UTF-8.")
    names = [name for name, _ in pairs]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        return TokenRequest(url, headers, pairs, f"Repeated parameter: {', '.join(repeated)}.")
    return TokenRequest(url, headers, pairs)


def attempted_client_id(request: TokenRequest) -> str | None:
    """The client id the request names, in its Basic credentials or its form."""
    basic_client_id, _ = extract_basic_authorization(request.headers)
    form_client_id = dict(request.form).get("client_id")
    return str(basic_client_id or form_client_id or "") or None


class TokenEndpoint:
    """`POST /oauth/token`: client credentials for partners' API clients."""

    def __init__(
        self, settings: Settings, session_factory: async_sessionmaker[AsyncSession]
    ) -> None:
        self.settings = settings
        self.session_factory = session_factory

    async def handle(self, request: Request) -> Response:
        token_request = await read_token_request(request)
        client_id = attempted_client_id(token_request)
        clients = await self._clients(client_id)
        server = TokenServer(self.settings, clients)
        result: TokenResponse = await run_in_threadpool(server.create_token_response, token_request)
        ip = current_client_ip.set(current_client_ip.get() or _ip(request))
        try:
            await self._audit(result, server.issued_to, client_id, clients)
        finally:
            current_client_ip.reset(ip)
        return JSONResponse(result.body, status_code=result.status, headers=dict(result.headers))

    async def _clients(self, client_id: str | None) -> dict[str, ApiClient]:
        if client_id is None:
            return {}
        async with self.session_factory() as session:
            row = await find_api_client(session, client_id)
        return {row.client_id: row} if row is not None else {}

    async def _audit(
        self,
        result: TokenResponse,
        issued_to: ApiClient | None,
        client_id: str | None,
        clients: Mapping[str, ApiClient],
    ) -> None:
        async with unit_of_work(self.session_factory) as session:
            if issued_to is not None:
                scopes = str(result.body["scope"]).split()
                principal = Principal(
                    subject=issued_to.client_id,
                    kind=PrincipalKind.CLIENT,
                    scopes=frozenset(scopes),
                )
                await record_token_issued(session, principal, issued_to.id, scopes)
            else:
                row = clients.get(client_id or "")
                record_sign_in_failure(
                    session,
                    client_id,
                    row.id if row is not None else None,
                    str(result.body.get("error")),
                    result.body.get("error_description"),
                )


def _ip(request: Request) -> str | None:
    return request.client.host if request.client else None
