"""Connections managed by administrators: create, change, pause, rotate the inbound secret."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import Field, StringConstraints, ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from integrations.connector import Connector
from integrations.ownership import Owner
from integrations.pull import PULL_KEY, redacted, stored_pull_settings
from integrations.registry import connectors, get_connector
from kernel.audit import record_audit
from kernel.crud import validate_input, validation_errors
from kernel.errors import ErrorCode, ServiceError, UserError
from kernel.inputs import InputModel, partial
from kernel.permissions import Scope, has_scope
from kernel.principal import Principal
from kernel.tables import table_of
from models import utcnow
from models.integrations import Connection, ConnectionState
from webhooks.endpoints import ROTATION_OVERLAP, new_secret

ENTITY = "connection"
table = table_of(Connection)


class ConnectionInput(InputModel):
    name: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,99}$")] = Field(
        description="Lower-case letters, digits, '-' and '_'."
    )
    connector: Annotated[str, Field(min_length=1, max_length=100)]
    description: Annotated[str, Field(max_length=500)] | None = None
    settings: dict[str, Any] = {}
    field_ownership: dict[str, dict[str, Owner]] | None = None
    echo: bool = False


ConnectionUpdate = partial(ConnectionInput, "ConnectionUpdate")


def _require_manage(principal: Principal) -> None:
    if not has_scope(principal, Scope.CONNECTORS_MANAGE):
        raise ServiceError.single(ErrorCode.FORBIDDEN, "requires the connectors:manage scope")


def _check_settings(
    connector: Connector, settings: Mapping[str, Any], previous: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The connector's settings and the optional pull configuration, validated."""
    try:
        checked = connector.settings(settings).model_dump(mode="json", exclude_unset=True)
    except ValidationError as exc:
        raise _settings_error(exc, ("settings",)) from exc
    if (pull := settings.get(PULL_KEY)) is not None:
        try:
            checked[PULL_KEY] = stored_pull_settings(pull, (previous or {}).get(PULL_KEY))
        except ValidationError as exc:
            raise _settings_error(exc, ("settings", PULL_KEY)) from exc
        except (ValueError, AttributeError) as exc:
            raise ServiceError.single(ErrorCode.VALIDATION, str(exc), "settings", PULL_KEY) from exc
    return dict(checked)


def _settings_error(exc: ValidationError, prefix: tuple[str, ...]) -> ServiceError:
    return ServiceError(
        [
            UserError(error.code, error.message, (*prefix, *error.field))
            for error in validation_errors(exc)
        ]
    )


def _connector(name: str) -> Connector:
    connector = get_connector(name)
    if connector is None:
        known = ", ".join(sorted(connectors()))
        raise ServiceError.single(
            ErrorCode.VALIDATION,
            f"no connector {name!r} is installed (known: {known})",
            "connector",
        )
    return connector


async def get_connection(session: AsyncSession, connection_id: uuid.UUID) -> Connection:
    connection = await session.get(Connection, connection_id, with_for_update=True)
    if connection is None:
        raise ServiceError.single(ErrorCode.NOT_FOUND, "connection not found", "id")
    return connection


async def connection_named(session: AsyncSession, name: str) -> Connection | None:
    return (
        await session.execute(select(Connection).where(table.c.name == name))
    ).scalar_one_or_none()


def _ownership(value: Mapping[str, Mapping[str, str]] | None) -> dict[str, dict[str, str]]:
    return {
        entity: {f: str(owner) for f, owner in fields.items()}
        for entity, fields in (value or {}).items()
    }


async def create_connection(
    session: AsyncSession, principal: Principal, data: Mapping[str, Any]
) -> tuple[Connection, str]:
    """A new connection of an installed connector; returns it with its inbound secret (shown
    this once). Field ownership defaults to the connector's."""
    _require_manage(principal)
    values = validate_input(ConnectionInput, data)
    connector = _connector(values["connector"])
    settings = _check_settings(connector, values.get("settings", {}))
    if await connection_named(session, values["name"]) is not None:
        raise ServiceError.single(ErrorCode.DUPLICATE, "another connection has this name", "name")
    ownership = values.get("field_ownership")
    secret = new_secret()
    connection = Connection(
        name=values["name"],
        connector=connector.name,
        description=values.get("description"),
        settings=settings,
        field_ownership=_ownership(connector.default_ownership if ownership is None else ownership),
        echo=values.get("echo", False),
        secret=secret,
        created_by=principal.actor,
    )
    session.add(connection)
    await session.flush()
    record_audit(
        session,
        principal,
        "connection.created",
        ENTITY,
        connection.id,
        {
            "name": {"old": None, "new": connection.name},
            "connector": {"old": None, "new": connector.name},
        },
    )
    return connection, secret


async def update_connection(
    session: AsyncSession, principal: Principal, connection_id: uuid.UUID, data: Mapping[str, Any]
) -> Connection:
    """Change the description, settings, field ownership or echo of a connection."""
    _require_manage(principal)
    values = validate_input(ConnectionUpdate, data)
    connection = await get_connection(session, connection_id)
    if "connector" in values and values["connector"] != connection.connector:
        raise ServiceError.single(
            ErrorCode.VALIDATION, "a connection's connector cannot change", "connector"
        )
    if "name" in values and values["name"] != connection.name:
        clash = await connection_named(session, values["name"])
        if clash is not None:
            raise ServiceError.single(
                ErrorCode.DUPLICATE, "another connection has this name", "name"
            )
    if "settings" in values:
        values["settings"] = _check_settings(
            _connector(connection.connector), values["settings"], connection.settings
        )
    if "field_ownership" in values:
        values["field_ownership"] = _ownership(values["field_ownership"])
    changes = {}
    for name, value in values.items():
        if name != "connector" and getattr(connection, name) != value:
            old, new = getattr(connection, name), value
            if name == "settings":  # API keys of the pulled system stay out of the audit log
                old, new = redacted(old), redacted(new)
            changes[name] = {"old": old, "new": new}
            setattr(connection, name, value)
    if changes:
        _touch(connection)
        record_audit(session, principal, "connection.updated", ENTITY, connection.id, changes)
    return connection


async def set_connection_active(
    session: AsyncSession, principal: Principal, connection_id: uuid.UUID, active: bool
) -> Connection:
    """Pause (inbound batches refused with 503, pulls skipped) or resume a connection."""
    _require_manage(principal)
    connection = await get_connection(session, connection_id)
    connection.state = ConnectionState.ACTIVE if active else ConnectionState.PAUSED
    _touch(connection)
    action = "resumed" if active else "paused"
    record_audit(session, principal, f"connection.{action}", ENTITY, connection.id)
    return connection


async def rotate_connection_secret(
    session: AsyncSession, principal: Principal, connection_id: uuid.UUID
) -> tuple[Connection, str]:
    """A new inbound secret; the old one is still accepted for 24 hours."""
    _require_manage(principal)
    connection = await get_connection(session, connection_id)
    secret = new_secret()
    connection.previous_secret = connection.secret
    connection.previous_secret_expires_at = utcnow() + ROTATION_OVERLAP
    connection.secret = secret
    _touch(connection)
    record_audit(session, principal, "connection.secret_rotated", ENTITY, connection.id)
    return connection, secret


def inbound_secrets(connection: Connection) -> list[str]:
    """The secrets an inbound signature may be made with now."""
    found = [connection.secret]
    expires = connection.previous_secret_expires_at
    if connection.previous_secret and expires is not None and expires > utcnow():
        found.append(connection.previous_secret)
    return found


def _touch(connection: Connection) -> None:
    connection.version += 1
    connection.updated_at = utcnow()
