"""GraphQL over HTTP: authentication, media types, status codes, health."""

from typing import Any

import httpx
import pytest

QUERY = "{ customers { totalCount } }"
GRAPHQL_RESPONSE = "application/graphql-response+json"


def _auth(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


async def test_request_without_token_is_401_with_a_graphql_error(http: httpx.AsyncClient) -> None:
    response = await http.post("/graphql", json={"query": QUERY})

    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_forged_token_is_401(http: httpx.AsyncClient, admin_token: str) -> None:
    header, payload, signature = admin_token.split(".")
    forged = f"{header}.{payload}.{signature[::-1]}"

    response = await http.post("/graphql", json={"query": QUERY}, headers=_auth(forged))

    assert response.status_code == 401


async def test_expired_token_is_401(http: httpx.AsyncClient, settings: Any) -> None:
    from app.http.auth import issue_token
    from tests.conftest import ADMIN

    expired = issue_token(settings, ADMIN, ttl_seconds=-10)

    response = await http.post("/graphql", json={"query": QUERY}, headers=_auth(expired))

    assert response.status_code == 401


async def test_an_accepted_token_is_refused_once_it_expires(
    http: httpx.AsyncClient, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import time

    from app.http.auth import issue_token
    from tests.conftest import ADMIN

    token = issue_token(settings, ADMIN, ttl_seconds=60)
    accepted = await http.post("/graphql", json={"query": QUERY}, headers=_auth(token))
    later = time.time() + 61
    monkeypatch.setattr("app.http.auth.time.time", lambda: later)

    refused = await http.post("/graphql", json={"query": QUERY}, headers=_auth(token))

    assert accepted.status_code == 200
    assert refused.status_code == 401


def test_an_accepted_token_is_refused_once_the_secret_key_changes(settings: Any) -> None:
    from app.http.auth import AuthenticationError, authenticate, issue_token
    from tests.conftest import ADMIN

    token = issue_token(settings, ADMIN)
    authenticate(settings, f"Bearer {token}")
    rotated = settings.model_copy(update={"crm_secret_key": "another-" + settings.crm_secret_key})

    with pytest.raises(AuthenticationError):
        authenticate(rotated, f"Bearer {token}")


@pytest.mark.parametrize("accept", [None, "*/*", "application/*"])
async def test_response_is_json_without_an_accept_header_or_for_any_type(
    http: httpx.AsyncClient, admin_token: str, accept: str | None
) -> None:
    request = http.build_request("POST", "/graphql", json={"query": QUERY})
    request.headers.update(_auth(admin_token))
    if accept is None:
        del request.headers["accept"]
    else:
        request.headers["accept"] = accept

    response = await http.send(request)

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == {"data": {"customers": {"totalCount": 0}}}


async def test_response_uses_graphql_response_media_type_when_asked_for(
    http: httpx.AsyncClient, admin_token: str
) -> None:
    response = await http.post(
        "/graphql",
        json={"query": QUERY},
        headers={**_auth(admin_token), "accept": f"{GRAPHQL_RESPONSE}, application/json"},
    )

    assert response.status_code == 200
    assert response.headers["content-type"].startswith(GRAPHQL_RESPONSE)


async def test_syntax_error_is_400_for_graphql_response_clients(
    http: httpx.AsyncClient, admin_token: str
) -> None:
    response = await http.post(
        "/graphql",
        json={"query": "{ customers { "},
        headers={**_auth(admin_token), "accept": GRAPHQL_RESPONSE},
    )

    assert response.status_code == 400
    body = response.json()
    assert "data" not in body
    assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"


async def test_syntax_error_is_200_for_legacy_json_clients(
    http: httpx.AsyncClient, admin_token: str
) -> None:
    response = await http.post(
        "/graphql",
        json={"query": "{ customers { "},
        headers={**_auth(admin_token), "accept": "application/json"},
    )

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")


async def test_unknown_field_is_a_validation_error(
    http: httpx.AsyncClient, admin_token: str
) -> None:
    response = await http.post(
        "/graphql",
        json={"query": "{ customers { bogus } }"},
        headers={**_auth(admin_token), "accept": GRAPHQL_RESPONSE},
    )

    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


async def test_variables_of_the_wrong_type_are_a_request_error(
    http: httpx.AsyncClient, admin_token: str
) -> None:
    response = await http.post(
        "/graphql",
        json={
            "query": "query($n: Int) { customers(first: $n) { totalCount } }",
            "variables": {"n": "x"},
        },
        headers={**_auth(admin_token), "accept": GRAPHQL_RESPONSE},
    )

    assert response.status_code == 400
    assert "data" not in response.json()


async def test_queries_may_use_get(http: httpx.AsyncClient, admin_token: str) -> None:
    response = await http.get("/graphql", params={"query": QUERY}, headers=_auth(admin_token))

    assert response.status_code == 200
    assert response.json()["data"]["customers"]["totalCount"] == 0


async def test_mutations_over_get_are_refused_with_405(
    http: httpx.AsyncClient, admin_token: str
) -> None:
    mutation = 'mutation { createCustomer(input: {name: "X"}) { errors { code } } }'

    response = await http.get("/graphql", params={"query": mutation}, headers=_auth(admin_token))
    listed = await http.post("/graphql", json={"query": QUERY}, headers=_auth(admin_token))

    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert listed.json()["data"]["customers"]["totalCount"] == 0


async def test_form_encoded_posts_are_refused(http: httpx.AsyncClient, admin_token: str) -> None:
    response = await http.post("/graphql", data={"query": QUERY}, headers=_auth(admin_token))

    assert response.status_code == 415


async def test_unacceptable_accept_header_is_406(http: httpx.AsyncClient, admin_token: str) -> None:
    response = await http.post(
        "/graphql", json={"query": QUERY}, headers={**_auth(admin_token), "accept": "text/csv"}
    )

    assert response.status_code == 406


async def test_field_error_keeps_200_with_data_and_a_typed_error(
    http: httpx.AsyncClient, admin_token: str
) -> None:
    response = await http.post(
        "/graphql",
        json={"query": "{ customers(first: 500) { totalCount } }"},
        headers=_auth(admin_token),
    )

    body = response.json()
    assert response.status_code == 200
    assert body["data"] is None
    assert body["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "argument": "first"}
    assert body["errors"][0]["path"] == ["customers"]


async def test_browsers_get_graphiql(http: httpx.AsyncClient) -> None:
    response = await http.get("/graphql", headers={"accept": "text/html"})

    assert response.status_code == 200
    assert "graphiql" in response.text.lower()


async def test_every_response_carries_a_request_id(http: httpx.AsyncClient) -> None:
    given = await http.get("/healthz", headers={"x-request-id": "abc-123"})
    fresh = await http.get("/healthz")

    assert given.headers["x-request-id"] == "abc-123"
    assert len(fresh.headers["x-request-id"]) == 32


async def test_healthz_answers_ok(http: httpx.AsyncClient) -> None:
    response = await http.get("/healthz")

    assert response.json() == {"status": "ok"}


async def test_readyz_reports_the_current_migration(http: httpx.AsyncClient) -> None:
    from app.migrations import head_revision

    response = await http.get("/readyz")

    assert response.status_code == 200
    assert response.json() == {"status": "ready", "revision": head_revision()}
