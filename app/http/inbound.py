"""`POST /integrations/{connector}/events`: batches of records from external systems.

Authenticated by a Standard Webhooks signature made with the connection's secret, or by an
OAuth2 bearer token holding the connector's scope. A replayed `webhook-id` gets the first
answer back and changes nothing.
"""

from __future__ import annotations

import json
import time
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.requests import Request
from starlette.responses import JSONResponse

from app import idempotency
from app.http.auth import AuthenticationError, authenticate_request
from app.settings import Settings
from integrations.connections import inbound_secrets
from integrations.inbound import apply_batch
from integrations.records import MAX_BATCH
from integrations.registry import get_connector
from kernel.permissions import Scope, has_scope
from kernel.tables import table_of
from models.integrations import Connection, ConnectionState
from webhooks.signing import verify

connections = table_of(Connection)
MAX_MESSAGE_ID = 200  # inbound_messages.message_id


class InboundError(Exception):
    def __init__(self, status: int, code: str, message: str, **headers: str) -> None:
        super().__init__(message)
        self.status, self.code, self.headers = status, code, headers

    def response(self) -> JSONResponse:
        body = {"error": {"code": self.code, "message": str(self)}}
        return JSONResponse(body, status_code=self.status, headers=self.headers)


class InboundEndpoint:
    def __init__(
        self, settings: Settings, session_factory: async_sessionmaker[AsyncSession]
    ) -> None:
        self.settings = settings
        self.session_factory = session_factory

    async def handle(self, request: Request) -> JSONResponse:
        try:
            return await self._handle(request)
        except InboundError as exc:
            return exc.response()

    async def _handle(self, request: Request) -> JSONResponse:
        connector = get_connector(request.path_params["connector"])
        if connector is None:
            raise InboundError(404, "NOT_FOUND", "no such connector")
        connection = await self._connection(connector.name, request.query_params.get("connection"))
        limit = self.settings.inbound_max_body_bytes
        declared = request.headers.get("content-length", "")
        # A declared size over the limit is refused before the body is read.
        too_big = declared.isdigit() and int(declared) > limit
        body = b"" if too_big else await request.body()
        if too_big or len(body) > limit:
            raise InboundError(413, "LIMIT_EXCEEDED", f"body over {limit} bytes")
        message_id = await self._authenticate(request, connection, connector.scope, body)
        if connection.state != ConnectionState.ACTIVE:
            raise InboundError(503, "PAUSED", "the connection is paused", **{"Retry-After": "60"})
        records = _records(body)
        batch = await apply_batch(self.session_factory, connection.id, records, message_id)
        return JSONResponse(
            {
                "connection": connection.name,
                "message_id": batch.message_id,
                "replayed": batch.replayed,
                "summary": batch.summary(),
                "results": batch.results,
            }
        )

    async def _connection(self, connector: str, name: str | None) -> Any:
        """The connection named by `?connection=`, or the connector's only one."""
        query = select(connections).where(connections.c.connector == connector)
        if name is not None:
            query = query.where(connections.c.name == name)
        async with self.session_factory() as session:
            rows = (await session.execute(query.limit(2))).all()
        if not rows:
            raise InboundError(404, "NOT_FOUND", "no such connection for this connector")
        if len(rows) > 1:
            raise InboundError(
                400, "BAD_REQUEST", "this connector has several connections: add ?connection=<name>"
            )
        return rows[0]

    async def _authenticate(
        self, request: Request, connection: Any, scope: str, body: bytes
    ) -> str | None:
        """The batch's message id once the sender is proven; 401 otherwise."""
        headers = request.headers
        message_id = headers.get("webhook-id")
        if message_id is not None and not 0 < len(message_id) <= MAX_MESSAGE_ID:
            raise InboundError(
                400, "BAD_REQUEST", f"webhook-id must be 1 to {MAX_MESSAGE_ID} characters"
            )
        signature = headers.get("webhook-signature")
        if signature is not None:
            if message_id is None:
                raise InboundError(401, "UNAUTHENTICATED", "a signed batch needs a webhook-id")
            self._verify(connection, message_id, headers.get("webhook-timestamp"), body, signature)
            return message_id
        if headers.get("authorization") is None:
            raise InboundError(
                401,
                "UNAUTHENTICATED",
                "sign the batch (webhook-id, webhook-timestamp, webhook-signature) "
                "or send a bearer token",
                **{"WWW-Authenticate": "Bearer"},
            )
        try:
            principal = await authenticate_request(
                self.settings, self.session_factory, headers.get("authorization")
            )
        except AuthenticationError as exc:
            raise InboundError(401, "UNAUTHENTICATED", str(exc)) from exc
        if not (has_scope(principal, scope) or has_scope(principal, Scope.CONNECTORS_MANAGE)):
            raise InboundError(403, "FORBIDDEN", f"requires the {scope} scope")
        key = headers.get("idempotency-key")
        usable = key is None or (idempotency.is_valid_key(key) and len(key) <= MAX_MESSAGE_ID)
        if message_id is None and not usable:
            raise InboundError(
                400, "BAD_REQUEST", f"Idempotency-Key must be 1 to {MAX_MESSAGE_ID} characters"
            )
        return message_id or key

    def _verify(
        self, connection: Any, message_id: str, timestamp: str | None, body: bytes, signature: str
    ) -> None:
        try:
            sent_at = int(timestamp or "")
        except ValueError as exc:
            raise InboundError(401, "UNAUTHENTICATED", "webhook-timestamp is missing") from exc
        if abs(time.time() - sent_at) > self.settings.inbound_timestamp_tolerance_seconds:
            raise InboundError(401, "UNAUTHENTICATED", "webhook-timestamp is too old or too new")
        if not any(
            verify(secret, message_id, sent_at, body, signature)
            for secret in inbound_secrets(connection)
        ):
            raise InboundError(401, "UNAUTHENTICATED", "the signature does not match")


def _records(body: bytes) -> list[Any]:
    try:
        payload = json.loads(body)
    except ValueError as exc:
        raise InboundError(400, "BAD_REQUEST", "the body is not valid JSON") from exc
    records = payload.get("records") if isinstance(payload, dict) else payload
    if not isinstance(records, list):
        raise InboundError(400, "BAD_REQUEST", 'send {"records": [...]} or a JSON list')
    if len(records) > MAX_BATCH:
        raise InboundError(413, "LIMIT_EXCEEDED", f"at most {MAX_BATCH} records per batch")
    return records
