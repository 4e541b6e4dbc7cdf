"""`crm connectors create|list|pause|resume`: the printed secret signs accepted batches."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx

from webhooks.signing import signature_headers


async def post(http: httpx.AsyncClient, secret: str) -> httpx.Response:
    body = json.dumps({"records": [{"type": "customer", "id": "C-1", "data": {"name": "Acme"}}]})
    headers = signature_headers([secret], "msg_1", int(time.time()), body.encode())
    return await http.post("/integrations/erp/events?connection=sap", content=body, headers=headers)


async def test_created_connection_accepts_batches_signed_with_the_printed_secret(
    run: Any, http: httpx.AsyncClient
) -> None:
    output = await run("connectors", "create", "sap", "--connector", "erp")
    secret = output.strip().removeprefix("secret ")

    response = await post(http, secret)

    assert response.status_code == 200
    assert response.json()["summary"]["applied"] == 1
    listing = await run("connectors", "list")
    assert "connection sap\terp\tactive\tapplied 1" in listing


async def test_paused_connection_refuses_until_resumed(run: Any, http: httpx.AsyncClient) -> None:
    secret = (await run("connectors", "create", "sap", "--connector", "erp")).strip()[7:]

    await run("connectors", "pause", "sap")
    paused = await post(http, secret)
    await run("connectors", "resume", "sap")
    resumed = await post(http, secret)

    assert paused.status_code == 503
    assert resumed.status_code == 200
