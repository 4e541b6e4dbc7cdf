"""Connections to external systems and their sync status (scope connectors:manage)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar, cast

import strawberry
from strawberry.scalars import JSON

from integrations import connections as service
from integrations.pull import redacted
from integrations.registry import connectors
from kernel.permissions import Scope
from models import ConnectionState as ConnectionStateModel
from schema.connections import list_field, order_input
from schema.context import Info
from schema.errors import UserError
from schema.filters import DateTimeFilter, StringFilter, enum_filter
from schema.inputs import UNSET, to_values
from schema.node import Node
from schema.permissions import requires
from schema.services import node_pk, run_service

R = TypeVar("R")
MANAGE = [requires(Scope.CONNECTORS_MANAGE)]

ConnectionState = strawberry.enum(
    ConnectionStateModel, name="ConnectionState", description="Whether a connection syncs."
)
ConnectionStateFilter = enum_filter(ConnectionStateModel, "ConnectionStateFilter")
ConnectionOrder = order_input("connection", "IntegrationConnection")


@strawberry.type(description="A kind of external system the CRM can sync with.")
class Connector:
    name: str
    description: str
    record_types: list[str] = strawberry.field(description="Inbound record types it accepts.")
    scope: str = strawberry.field(description="OAuth2 scope a client needs to send records.")
    default_field_ownership: JSON


@strawberry.type(description="What a connection has received and applied.")
class ConnectionStatus:
    last_received_at: datetime | None
    last_applied_at: datetime | None
    applied_count: int
    unchanged_count: int
    stale_count: int
    rejected_count: int
    pull_cursor: str | None = strawberry.field(description="Where the next pull starts.")
    last_pulled_at: datetime | None
    last_error: str | None
    last_error_at: datetime | None


@strawberry.input(name="IntegrationConnectionFilter", description="Conditions on connections.")
class ConnectionFilter:
    name: StringFilter | None = strawberry.UNSET
    connector: StringFilter | None = strawberry.UNSET
    state: ConnectionStateFilter | None = strawberry.UNSET
    created_at: DateTimeFilter | None = strawberry.UNSET


@strawberry.type(
    name="IntegrationConnection",
    description="One external system (an ERP, an HRM, a partner) and its settings.",
)
class Connection(Node):
    name: str
    connector: str
    description: str | None
    state: ConnectionState
    field_ownership: JSON = strawberry.field(
        description='{entity: {field: "source" | "crm"}}: "source" fields only this system '
        'changes; "crm" fields it sets on create but never overwrites. "*" is every field.'
    )
    echo: bool = strawberry.field(
        description="Whether its own changes are delivered back to its webhook endpoints."
    )
    version: int
    created_at: datetime
    updated_at: datetime
    row: strawberry.Private[Any]

    @strawberry.field(
        description="The connector's settings and the pull configuration; pull header values "
        '(API keys) are shown as "********": send that back to keep a value.'
    )
    def settings(self) -> JSON:
        return cast(JSON, redacted(self.row.settings))

    @strawberry.field(description="Sync status: counts, last activity, pull cursor, last error.")
    def status(self) -> ConnectionStatus:
        return ConnectionStatus(
            **{name: getattr(self.row, name) for name in ConnectionStatus.__annotations__}
        )


@strawberry.input(description="A new connection of an installed connector.")
class CreateConnectionInput:
    name: str = strawberry.field(description="Lower-case letters, digits, '-' and '_'.")
    connector: str
    description: str | None = UNSET
    settings: JSON | None = UNSET
    field_ownership: JSON | None = strawberry.field(
        default=UNSET, description="Defaults to the connector's."
    )
    echo: bool | None = UNSET


@strawberry.input(description="Changes to a connection; only the given fields change.")
class UpdateConnectionInput:
    name: str | None = UNSET
    description: str | None = UNSET
    settings: JSON | None = UNSET
    field_ownership: JSON | None = UNSET
    echo: bool | None = UNSET


@strawberry.type(description="A connection as written, or why not.")
class ConnectionPayload:
    connection: Connection | None
    errors: list[UserError]


@strawberry.type(description="A connection and its new inbound secret, shown this once.")
class ConnectionSecretPayload:
    connection: Connection | None
    secret: str | None = strawberry.field(description="`whsec_...`: sign inbound batches with it.")
    errors: list[UserError]


def _pk(global_id: str) -> Any:
    return node_pk(global_id, Connection.type_name())


def _payload(result: Any) -> ConnectionPayload:
    if isinstance(result, list):
        return ConnectionPayload(connection=None, errors=result)
    return ConnectionPayload(connection=Connection.from_row(result), errors=[])


def _secret_payload(result: Any) -> ConnectionSecretPayload:
    if isinstance(result, list):
        return ConnectionSecretPayload(connection=None, secret=None, errors=result)
    connection, secret = result
    return ConnectionSecretPayload(
        connection=Connection.from_row(connection), secret=secret, errors=[]
    )


def _connectors() -> list[Connector]:
    return [
        Connector(
            name=connector.name,
            description=connector.description,
            record_types=sorted(connector.handlers),
            scope=connector.scope,
            default_field_ownership=cast(
                JSON, {entity: dict(f) for entity, f in connector.default_ownership.items()}
            ),
        )
        for connector in sorted(connectors().values(), key=lambda c: c.name)
    ]


CONNECTORS = strawberry.field(
    resolver=_connectors,
    permission_classes=MANAGE,
    description="Installed connectors: the built-in ERP and HRM, and those of installed packages.",
)


CONNECTIONS = list_field(
    "connection",
    Connection,
    ConnectionFilter,
    ConnectionOrder,
    "name",
    "Connections to external systems, with their sync status (connectors:manage).",
)


@strawberry.type
class IntegrationMutation:
    @strawberry.mutation(
        description="Connect an external system; the answer holds its inbound secret, once.",
        permission_classes=MANAGE,
    )
    async def create_connection(
        self, info: Info, input: CreateConnectionInput
    ) -> ConnectionSecretPayload:
        return _secret_payload(
            await run_service(info, lambda s, p: service.create_connection(s, p, to_values(input)))
        )

    @strawberry.mutation(description="Change a connection.", permission_classes=MANAGE)
    async def update_connection(
        self, info: Info, id: strawberry.ID, input: UpdateConnectionInput
    ) -> ConnectionPayload:
        return _payload(
            await run_service(
                info, lambda s, p: service.update_connection(s, p, _pk(id), to_values(input))
            )
        )

    @strawberry.mutation(
        description="Pause a connection: inbound batches get 503, pulls stop.",
        permission_classes=MANAGE,
    )
    async def pause_connection(self, info: Info, id: strawberry.ID) -> ConnectionPayload:
        return _payload(
            await run_service(
                info, lambda s, p: service.set_connection_active(s, p, _pk(id), False)
            )
        )

    @strawberry.mutation(description="Resume a paused connection.", permission_classes=MANAGE)
    async def resume_connection(self, info: Info, id: strawberry.ID) -> ConnectionPayload:
        return _payload(
            await run_service(info, lambda s, p: service.set_connection_active(s, p, _pk(id), True))
        )

    @strawberry.mutation(
        description="A new inbound secret; the old one is accepted for 24 more hours.",
        permission_classes=MANAGE,
    )
    async def rotate_connection_secret(
        self, info: Info, id: strawberry.ID
    ) -> ConnectionSecretPayload:
        return _secret_payload(
            await run_service(info, lambda s, p: service.rotate_connection_secret(s, p, _pk(id)))
        )
