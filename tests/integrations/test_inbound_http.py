"""The inbound endpoint's contract: who may send, limits, paused connections, and what the
changes it applies look like to the audit log and to webhook receivers."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import select, update

from app.http.auth import issue_token
from app.jobs.retention import purge_once
from app.settings import Settings
from integrations.connections import set_connection_active
from kernel.principal import Principal, PrincipalKind
from kernel.tables import table_of
from kernel.unit_of_work import unit_of_work
from models import AuditEntry, Event, utcnow
from models.integrations import InboundMessage
from models.webhooks import WebhookDelivery
from tests.conftest import ADMIN
from tests.integrations.conftest import Sender
from webhooks.endpoints import TargetPolicy, create_endpoint

RECORD = {"type": "customer", "id": "C-1", "data": {"name": "Acme"}}


def client_token(settings: Settings, scopes: set[str]) -> str:
    principal = Principal(subject="partner", kind=PrincipalKind.CLIENT, scopes=frozenset(scopes))
    return issue_token(settings, principal)


async def post_with_token(
    loopback: httpx.AsyncClient, connection: Any, token: str, **headers: str
) -> httpx.Response:
    return await loopback.post(
        f"/integrations/erp/events?connection={connection.name}",
        json={"records": [RECORD]},
        headers={"authorization": f"Bearer {token}", **headers},
    )


async def test_client_with_the_connector_scope_may_send(
    connect: Any, loopback: httpx.AsyncClient, settings: Settings, make: Any
) -> None:
    await make.api_client("partner", ["connector:erp"])
    connection, _ = await connect("erp")

    response = await post_with_token(
        loopback, connection, client_token(settings, {"connector:erp"})
    )

    assert response.status_code == 200, response.text
    assert response.json()["summary"]["applied"] == 1


async def test_client_without_the_connector_scope_is_forbidden(
    connect: Any, loopback: httpx.AsyncClient, settings: Settings, make: Any
) -> None:
    await make.api_client("partner", ["customers:write"])
    connection, _ = await connect("erp")

    response = await post_with_token(
        loopback, connection, client_token(settings, {"customers:write"})
    )

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "FORBIDDEN"


async def test_client_retry_with_the_same_webhook_id_is_replayed(
    connect: Any, loopback: httpx.AsyncClient, settings: Settings, make: Any
) -> None:
    await make.api_client("partner", ["connector:erp"])
    connection, _ = await connect("erp")
    token = client_token(settings, {"connector:erp"})

    first = await post_with_token(loopback, connection, token, **{"webhook-id": "batch-7"})
    again = await post_with_token(loopback, connection, token, **{"webhook-id": "batch-7"})

    assert first.json()["replayed"] is False
    assert again.json()["replayed"] is True


async def test_unsigned_request_without_token_is_unauthenticated(
    connect: Any, loopback: httpx.AsyncClient
) -> None:
    connection, _ = await connect("erp")

    response = await loopback.post(
        f"/integrations/erp/events?connection={connection.name}", json={"records": [RECORD]}
    )

    assert response.status_code == 401


async def test_unknown_connector_is_not_found(loopback: httpx.AsyncClient) -> None:
    response = await loopback.post("/integrations/nope/events", json={"records": []})

    assert response.status_code == 404


async def test_batch_over_a_thousand_records_is_refused(connect: Any, sender: Sender) -> None:
    connection, secret = await connect("erp")

    response = await sender.post(connection, secret, [RECORD] * 1001)

    assert response.status_code == 413


async def test_paused_connection_answers_503_so_the_sender_retries(
    connect: Any, sender: Sender, session_factory: Any
) -> None:
    connection, secret = await connect("erp")
    async with unit_of_work(session_factory) as session:
        await set_connection_active(session, ADMIN, connection.id, False)

    response = await sender.post(connection, secret, [RECORD])

    assert response.status_code == 503
    assert "retry-after" in response.headers


async def test_applied_changes_are_audited_and_evented_with_their_source(
    connect: Any, sender: Sender, session_factory: Any
) -> None:
    connection, secret = await connect("erp", name="sap")

    await sender.results(connection, secret, [RECORD])

    async with session_factory() as session:
        audit_log = table_of(AuditEntry)
        audit = (
            await session.execute(select(audit_log).where(audit_log.c.action == "customer.created"))
        ).one()
        event = (await session.execute(select(table_of(Event)))).one()
    assert audit.actor == "connection:erp/sap"
    assert event.type == "customer.created"
    assert event.payload["source"] == {"connection": "erp/sap", "connection_id": str(connection.id)}


async def deliveries_to(session_factory: Any, endpoint: Any) -> int:
    deliveries = table_of(WebhookDelivery)
    async with session_factory() as session:
        rows = await session.scalars(
            select(deliveries.c.id).where(deliveries.c.endpoint_id == endpoint.id)
        )
        return len(rows.all())


async def endpoint_for(session_factory: Any, connection: Any | None) -> Any:
    policy = TargetPolicy(allow_http=True, allowed_networks=())
    data = {"url": "https://93.184.215.14/hook", "event_types": ["customer.*"]}
    if connection is not None:
        data["connection_id"] = connection.id
    async with unit_of_work(session_factory) as session:
        endpoint, _ = await create_endpoint(session, ADMIN, data, policy)
    return endpoint


async def test_changes_are_not_echoed_to_the_endpoint_of_their_own_connection(
    connect: Any, sender: Sender, session_factory: Any
) -> None:
    connection, secret = await connect("erp")
    own = await endpoint_for(session_factory, connection)
    other = await endpoint_for(session_factory, None)

    await sender.results(connection, secret, [RECORD])

    assert await deliveries_to(session_factory, own) == 0
    assert await deliveries_to(session_factory, other) == 1


async def test_connection_asking_for_echoes_gets_its_own_changes(
    connect: Any, sender: Sender, session_factory: Any
) -> None:
    connection, secret = await connect("erp", echo=True)
    own = await endpoint_for(session_factory, connection)

    await sender.results(connection, secret, [RECORD])

    assert await deliveries_to(session_factory, own) == 1


async def test_message_ids_are_forgotten_after_the_retention_window(
    connect: Any, sender: Sender, session_factory: Any, settings: Settings
) -> None:
    connection, secret = await connect("erp")
    await sender.post(connection, secret, [RECORD], message_id="old")
    await sender.post(connection, secret, [RECORD], message_id="new")
    messages = table_of(InboundMessage)
    async with unit_of_work(session_factory) as session:
        await session.execute(
            update(messages)
            .where(messages.c.message_id == "old")
            .values(
                received_at=utcnow()
                - timedelta(days=settings.inbound_message_retention_days, seconds=1)
            )
        )

    await purge_once(settings, session_factory)

    async with session_factory() as session:
        kept = (await session.scalars(select(messages.c.message_id))).all()
    assert kept == ["new"]
