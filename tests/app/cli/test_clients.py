"""`crm clients create|list|rotate|revoke`: the secret printed once gets tokens."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

TOKEN_FORM = {"grant_type": "client_credentials"}


def credentials(output: str) -> tuple[str, str]:
    fields = dict(line.split(" ", 1) for line in output.strip().splitlines())
    return fields["client_id"], fields["client_secret"]


async def test_create_prints_a_secret_that_gets_a_token(run: Any, http: httpx.AsyncClient) -> None:
    output = await run(
        "clients", "create", "ERP", "--scope", "deals:read", "--scope", "customers:read"
    )

    response = await http.post("/oauth/token", data=TOKEN_FORM, auth=credentials(output))

    assert response.status_code == 200
    assert response.json()["scope"] == "customers:read deals:read"


async def test_revoke_stops_the_client_getting_tokens(run: Any, http: httpx.AsyncClient) -> None:
    client_id, secret = credentials(await run("clients", "create", "ERP", "--scope", "deals:read"))

    output = await run("clients", "revoke", client_id)

    response = await http.post("/oauth/token", data=TOKEN_FORM, auth=(client_id, secret))
    assert output.strip() == f"revoked {client_id}"
    assert response.status_code == 401


async def test_rotate_prints_a_new_secret_and_the_old_one_fails(
    run: Any, http: httpx.AsyncClient
) -> None:
    client_id, old = credentials(await run("clients", "create", "ERP", "--scope", "deals:read"))

    _, new = credentials(await run("clients", "rotate", client_id))

    old_response = await http.post("/oauth/token", data=TOKEN_FORM, auth=(client_id, old))
    new_response = await http.post("/oauth/token", data=TOKEN_FORM, auth=(client_id, new))
    assert (old_response.status_code, new_response.status_code) == (401, 200)


async def test_list_shows_each_client_and_whether_it_is_active(run: Any) -> None:
    client_id, _ = credentials(await run("clients", "create", "ERP", "--scope", "deals:read"))

    output = await run("clients", "list")

    assert output.strip() == f"{client_id}\tERP\tdeals:read\tactive"


async def test_unknown_scope_exits_with_the_error(run: Any) -> None:
    with pytest.raises(SystemExit, match="unknown scope 'root'"):
        await run("clients", "create", "ERP", "--scope", "root")
