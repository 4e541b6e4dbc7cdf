"""`POST /oauth/token` (OAuth2 client credentials) and the GraphQL API that manages clients."""

from __future__ import annotations

import json
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.http.asgi import create_app
from app.http.auth import authenticate, issue_token
from kernel.principal import Principal, PrincipalKind
from kernel.unit_of_work import unit_of_work
from models import ApiClient, AuditEntry
from resolvers.identity.clients import IssuedSecret, create_api_client, revoke_api_client
from tests.conftest import GraphQLClient
from tests.factories import gid

ADMIN = Principal(subject="tests", kind=PrincipalKind.OPERATOR, role="admin")
CLIENT_CREDENTIALS = {"grant_type": "client_credentials"}

Factory = async_sessionmaker[AsyncSession]


async def new_client(
    session_factory: Factory, scopes: tuple[str, ...] = ("customers:read", "deals:read")
) -> IssuedSecret:
    async with unit_of_work(session_factory) as session:
        return await create_api_client(session, ADMIN, "Partner", list(scopes))


async def basic_token(
    http: httpx.AsyncClient, issued: IssuedSecret, secret: str | None = None, **form: str
) -> httpx.Response:
    credentials = (issued.client.client_id, secret or issued.secret)
    return await http.post("/oauth/token", data={**CLIENT_CREDENTIALS, **form}, auth=credentials)


async def audit_entries(session_factory: Factory, action: str) -> list[AuditEntry]:
    async with session_factory() as session:
        statement = select(AuditEntry).where(AuditEntry.action == action)  # type: ignore[arg-type]
        return list((await session.execute(statement)).scalars())


def bearer(http: httpx.AsyncClient, response: httpx.Response) -> GraphQLClient:
    return GraphQLClient(http, response.json()["access_token"])


class TestTokenEndpoint:
    async def test_client_secret_basic_issues_a_short_lived_bearer_token(
        self, http: httpx.AsyncClient, session_factory: Factory
    ) -> None:
        issued = await new_client(session_factory)

        response = await basic_token(http, issued)

        body = response.json()
        assert response.status_code == 200
        assert set(body) == {"access_token", "token_type", "expires_in", "scope"}
        assert (body["token_type"], body["expires_in"], body["scope"]) == (
            "Bearer",
            900,
            "customers:read deals:read",
        )
        assert response.headers["cache-control"] == "no-store"
        assert response.headers["pragma"] == "no-cache"

    async def test_client_secret_post_issues_a_token(
        self, http: httpx.AsyncClient, session_factory: Factory
    ) -> None:
        issued = await new_client(session_factory)

        response = await http.post(
            "/oauth/token",
            data={
                **CLIENT_CREDENTIALS,
                "client_id": issued.client.client_id,
                "client_secret": issued.secret,
            },
        )

        assert response.status_code == 200
        assert response.json()["token_type"] == "Bearer"

    async def test_token_carries_only_the_requested_scopes(
        self, http: httpx.AsyncClient, session_factory: Factory, settings: Any
    ) -> None:
        issued = await new_client(session_factory)

        response = await basic_token(http, issued, scope="customers:read")

        principal = authenticate(settings, f"Bearer {response.json()['access_token']}")
        assert response.json()["scope"] == "customers:read"
        assert (principal.kind, principal.subject, principal.scopes) == (
            PrincipalKind.CLIENT,
            issued.client.client_id,
            frozenset({"customers:read"}),
        )

    async def test_token_works_on_graphql_within_its_scopes(
        self, http: httpx.AsyncClient, session_factory: Factory
    ) -> None:
        issued = await new_client(session_factory)
        gql = bearer(http, await basic_token(http, issued, scope="customers:read"))

        customers = await gql("{ customers { totalCount } }")
        errors = await gql.errors("{ deals { totalCount } }")

        assert customers == {"customers": {"totalCount": 0}}
        assert [error["extensions"]["code"] for error in errors] == ["FORBIDDEN"]

    async def test_scope_beyond_the_clients_is_invalid_scope(
        self, http: httpx.AsyncClient, session_factory: Factory
    ) -> None:
        issued = await new_client(session_factory)

        response = await basic_token(http, issued, scope="customers:read customers:write")

        assert response.status_code == 400
        assert response.json()["error"] == "invalid_scope"

    async def test_wrong_secret_is_invalid_client_with_a_basic_challenge(
        self, http: httpx.AsyncClient, session_factory: Factory
    ) -> None:
        issued = await new_client(session_factory)

        response = await basic_token(http, issued, secret="not-the-secret")

        assert response.status_code == 401
        assert response.json()["error"] == "invalid_client"
        assert response.headers["www-authenticate"].startswith("Basic ")

    async def test_unknown_client_is_invalid_client(self, http: httpx.AsyncClient) -> None:
        response = await http.post(
            "/oauth/token",
            data={**CLIENT_CREDENTIALS, "client_id": "nobody", "client_secret": "x"},
        )

        assert response.status_code == 401
        assert response.json()["error"] == "invalid_client"

    async def test_revoked_client_is_invalid_client(
        self, http: httpx.AsyncClient, session_factory: Factory
    ) -> None:
        issued = await new_client(session_factory)
        async with unit_of_work(session_factory) as session:
            await revoke_api_client(session, ADMIN, issued.client.id)

        response = await basic_token(http, issued)

        assert response.status_code == 401
        assert response.json()["error"] == "invalid_client"

    async def test_unknown_grant_type_is_unsupported_grant_type(
        self, http: httpx.AsyncClient, session_factory: Factory
    ) -> None:
        issued = await new_client(session_factory)

        response = await http.post(
            "/oauth/token",
            data={"grant_type": "password", "username": "a", "password": "b"},
            auth=(issued.client.client_id, issued.secret),
        )

        assert response.status_code == 400
        assert response.json()["error"] == "unsupported_grant_type"

    async def test_missing_grant_type_is_invalid_request(
        self, http: httpx.AsyncClient, session_factory: Factory
    ) -> None:
        issued = await new_client(session_factory)

        response = await http.post(
            "/oauth/token", data={}, auth=(issued.client.client_id, issued.secret)
        )

        assert response.status_code == 400
        assert response.json()["error"] == "invalid_request"

    async def test_json_body_is_invalid_request(self, http: httpx.AsyncClient) -> None:
        response = await http.post("/oauth/token", json=CLIENT_CREDENTIALS)

        assert response.status_code == 400
        assert response.json()["error"] == "invalid_request"

    async def test_repeated_parameter_is_invalid_request(self, http: httpx.AsyncClient) -> None:
        response = await http.post(
            "/oauth/token",
            content="grant_type=client_credentials&grant_type=client_credentials",
            headers={"content-type": "application/x-www-form-urlencoded"},
        )

        assert response.status_code == 400
        assert response.json()["error"] == "invalid_request"

    async def test_two_authentication_methods_are_invalid_request(
        self, http: httpx.AsyncClient, session_factory: Factory
    ) -> None:
        issued = await new_client(session_factory)

        response = await basic_token(http, issued, client_secret=issued.secret)

        assert response.status_code == 400
        assert response.json()["error"] == "invalid_request"

    async def test_get_is_not_allowed(self, http: httpx.AsyncClient) -> None:
        response = await http.get("/oauth/token", params=CLIENT_CREDENTIALS)

        assert response.status_code == 405

    async def test_plain_http_is_refused_in_production(
        self, settings: Any, session_factory: Factory
    ) -> None:
        issued = await new_client(session_factory)
        app = create_app(settings.model_copy(update={"crm_env": "production"}))
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://crm.test") as http:
            response = await basic_token(http, issued)
        await app.state.engine.dispose()

        assert response.status_code == 400
        assert response.json()["error"] == "insecure_transport"

    async def test_revoked_clients_token_is_refused_on_its_next_request(
        self, http: httpx.AsyncClient, session_factory: Factory
    ) -> None:
        issued = await new_client(session_factory)
        client_gql = bearer(http, await basic_token(http, issued))
        await client_gql("{ customers { totalCount } }")
        async with unit_of_work(session_factory) as session:
            await revoke_api_client(session, ADMIN, issued.client.id)

        response = await client_gql.raw("{ customers { totalCount } }")

        assert response.status_code == 401
        assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"

    async def test_token_of_an_unknown_client_is_refused(
        self, http: httpx.AsyncClient, settings: Any
    ) -> None:
        token = issue_token(settings, Principal(subject="gone", kind=PrincipalKind.CLIENT))

        response = await GraphQLClient(http, token).raw("{ customers { totalCount } }")

        assert response.status_code == 401

    async def test_issuing_a_token_notes_last_use_and_is_audited(
        self, http: httpx.AsyncClient, session_factory: Factory
    ) -> None:
        issued = await new_client(session_factory)

        await basic_token(http, issued, scope="deals:read")

        async with session_factory() as session:
            client = await session.get(ApiClient, issued.client.id)
        [entry] = await audit_entries(session_factory, "auth.token_issued")
        assert client is not None
        assert client.last_used_at is not None
        assert (entry.actor, entry.entity_id, entry.changes) == (
            f"client:{issued.client.client_id}",
            issued.client.id,
            {"scopes": ["deals:read"]},
        )

    async def test_failed_sign_in_is_audited_under_the_client_id_without_the_secret(
        self, http: httpx.AsyncClient, session_factory: Factory
    ) -> None:
        issued = await new_client(session_factory)

        await basic_token(http, issued, secret="wrong-secret-123")

        [entry] = await audit_entries(session_factory, "auth.failed")
        assert (entry.actor, entry.entity_id) == (
            f"client:{issued.client.client_id}",
            issued.client.id,
        )
        assert entry.changes is not None
        assert entry.changes["error"] == "invalid_client"
        assert "wrong-secret-123" not in json.dumps(entry.changes)


CREATE = """mutation($input: CreateApiClientInput!) {
  createApiClient(input: $input) {
    apiClient { id clientId name scopes revokedAt version }
    secret
    errors { code field message }
  }
}"""
ROTATE = "mutation($id: ID!) { rotateApiClientSecret(id: $id) { apiClient { version } secret errors { code field } } }"
REVOKE = "mutation($id: ID!) { revokeApiClient(id: $id) { apiClient { revokedAt } errors { code field } } }"


class TestApiClientMutations:
    async def test_create_returns_the_client_and_a_secret_that_works(
        self, gql: GraphQLClient, http: httpx.AsyncClient
    ) -> None:
        data = await gql(CREATE, {"input": {"name": "ERP", "scopes": ["deals:read"]}})

        payload = data["createApiClient"]
        client = payload["apiClient"]
        response = await http.post(
            "/oauth/token", data=CLIENT_CREDENTIALS, auth=(client["clientId"], payload["secret"])
        )
        assert payload["errors"] == []
        assert (client["name"], client["scopes"], client["revokedAt"]) == (
            "ERP",
            ["deals:read"],
            None,
        )
        assert response.status_code == 200

    async def test_unknown_scope_is_a_validation_error_at_its_path(
        self, gql: GraphQLClient
    ) -> None:
        data = await gql(CREATE, {"input": {"name": "ERP", "scopes": ["deals:read", "everything"]}})

        assert data["createApiClient"] == {
            "apiClient": None,
            "secret": None,
            "errors": [
                {
                    "code": "VALIDATION",
                    "field": ["input", "scopes", "1"],
                    "message": "unknown scope 'everything'",
                }
            ],
        }

    async def test_the_type_exposes_no_secret_or_hash(self, gql: GraphQLClient) -> None:
        data = await gql('{ __type(name: "ApiClient") { fields { name } } }')

        names = {field["name"] for field in data["__type"]["fields"]}
        assert not {name for name in names if "secret" in name.lower() or "hash" in name.lower()}

    async def test_rotate_returns_a_new_secret_and_the_old_one_fails(
        self, gql: GraphQLClient, http: httpx.AsyncClient, session_factory: Factory
    ) -> None:
        issued = await new_client(session_factory)

        data = await gql(ROTATE, {"id": gid("ApiClient", issued.client)})

        new_secret = data["rotateApiClientSecret"]["secret"]
        old = await basic_token(http, issued)
        new = await basic_token(http, issued, secret=new_secret)
        assert data["rotateApiClientSecret"]["apiClient"] == {"version": 2}
        assert (old.status_code, new.status_code) == (401, 200)

    async def test_revoke_sets_revoked_at_and_a_second_revoke_is_invalid_state(
        self, gql: GraphQLClient, session_factory: Factory
    ) -> None:
        issued = await new_client(session_factory)
        variables = {"id": gid("ApiClient", issued.client)}

        first = (await gql(REVOKE, variables))["revokeApiClient"]
        second = (await gql(REVOKE, variables))["revokeApiClient"]

        assert first["apiClient"]["revokedAt"] is not None
        assert first["errors"] == []
        assert second == {"apiClient": None, "errors": [{"code": "INVALID_STATE", "field": ["id"]}]}

    async def test_list_shows_clients_by_name(
        self, gql: GraphQLClient, session_factory: Factory
    ) -> None:
        for name in ("Zeta", "Alpha"):
            async with unit_of_work(session_factory) as session:
                await create_api_client(session, ADMIN, name, ["tickets:read"])

        data = await gql("{ apiClients { totalCount nodes { name scopes } } }")

        assert data["apiClients"] == {
            "totalCount": 2,
            "nodes": [
                {"name": "Alpha", "scopes": ["tickets:read"]},
                {"name": "Zeta", "scopes": ["tickets:read"]},
            ],
        }

    async def test_managing_clients_needs_the_clients_manage_scope(
        self, http: httpx.AsyncClient, settings: Any
    ) -> None:
        manager = Principal(subject="m", kind=PrincipalKind.OPERATOR, role="sales_manager")
        gql = GraphQLClient(http, issue_token(settings, manager))

        errors = await gql.errors(CREATE, {"input": {"name": "ERP", "scopes": ["deals:read"]}})
        listing = await gql.errors("{ apiClients { totalCount } }")

        assert [error["extensions"]["code"] for error in errors + listing] == [
            "FORBIDDEN",
            "FORBIDDEN",
        ]
