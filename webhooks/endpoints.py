"""Webhook endpoints managed by integrators: create, change, rotate, pause, resend."""

from __future__ import annotations

import base64
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any

from pydantic import Field, ValidationError
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.audit import record_audit
from kernel.bus import Topic, touch
from kernel.crud import validation_errors
from kernel.errors import ErrorCode, ServiceError, UserError
from kernel.inputs import InputModel, partial
from kernel.outbox import OUTBOX_KEY, record_event
from kernel.principal import Principal
from kernel.tables import table_of
from models import utcnow
from models.integrations import Connection
from models.webhooks import DeliveryStatus, EndpointState, WebhookDelivery, WebhookEndpoint
from webhooks.routing import is_valid_pattern
from webhooks.targets import Network, UnsafeURLError, resolve_target

ROTATION_OVERLAP = timedelta(hours=24)
SECRET_PREFIX = "whsec_"


@dataclass(frozen=True)
class TargetPolicy:
    """Which URLs may receive webhooks: https and public hosts, unless development allows more."""

    allow_http: bool = False
    allowed_networks: tuple[Network, ...] = ()


class EndpointInput(InputModel):
    url: Annotated[str, Field(min_length=1, max_length=2000)]
    event_types: Annotated[list[str], Field(min_length=1, max_length=100)]
    description: Annotated[str, Field(max_length=500)] | None = None
    max_concurrency: Annotated[int, Field(gt=0, le=100)] | None = None
    rate_limit_per_second: Annotated[float, Field(gt=0, le=10_000)] | None = None
    ordered: bool = False
    # The connection this endpoint feeds: its own changes are not sent back (unless echo).
    connection_id: uuid.UUID | None = None


EndpointUpdate = partial(EndpointInput, "EndpointUpdate")


def new_secret() -> str:
    """A signing secret in the Standard Webhooks `whsec_` form."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


async def _validated(
    session: AsyncSession, data: dict[str, Any], policy: TargetPolicy, partial: bool = False
) -> dict[str, Any]:
    schema = EndpointUpdate if partial else EndpointInput
    try:
        parsed = schema.model_validate(data)
    except ValidationError as exc:
        raise ServiceError(validation_errors(exc)) from exc
    names = parsed.model_fields_set if partial else EndpointInput.model_fields
    values = {name: getattr(parsed, name) for name in names}
    nulls = [name for name in ("url", "event_types") if name in values and values[name] is None]
    if nulls:
        raise ServiceError(
            [UserError(ErrorCode.VALIDATION, "may not be null", (n,)) for n in nulls]
        )
    errors = [
        UserError(ErrorCode.VALIDATION, f"unknown event type {pattern!r}", ("event_types", str(i)))
        for i, pattern in enumerate(values.get("event_types") or [])
        if not is_valid_pattern(pattern)
    ]
    if "url" in values:
        try:
            await resolve_target(
                values["url"],
                allow_http=policy.allow_http,
                allowed_networks=policy.allowed_networks,
            )
        except UnsafeURLError as exc:
            errors.append(UserError(ErrorCode.VALIDATION, str(exc), ("url",)))
    connection_id = values.get("connection_id")
    if connection_id is not None and await session.get(Connection, connection_id) is None:
        errors.append(
            UserError(ErrorCode.INVALID_REFERENCE, "no connection with this id", ("connection_id",))
        )
    if errors:
        raise ServiceError(errors)
    return values


async def _get(session: AsyncSession, endpoint_id: uuid.UUID) -> WebhookEndpoint:
    endpoint = await session.get(WebhookEndpoint, endpoint_id, with_for_update=True)
    if endpoint is None:
        raise ServiceError.single(ErrorCode.NOT_FOUND, "webhook endpoint not found", "id")
    return endpoint


def _touch(endpoint: WebhookEndpoint) -> None:
    endpoint.version += 1
    endpoint.updated_at = utcnow()


async def create_endpoint(
    session: AsyncSession, principal: Principal, data: dict[str, Any], policy: TargetPolicy
) -> tuple[WebhookEndpoint, str]:
    """Register an endpoint; returns it with its secret (shown this once)."""
    values = await _validated(session, data, policy)
    secret = new_secret()
    endpoint = WebhookEndpoint(**values, secret=secret, created_by=principal.actor)
    session.add(endpoint)
    await session.flush()
    record_audit(
        session,
        principal,
        "webhook_endpoint.created",
        "webhook_endpoint",
        endpoint.id,
        {"url": {"old": None, "new": endpoint.url}},
    )
    return endpoint, secret


async def update_endpoint(
    session: AsyncSession,
    principal: Principal,
    endpoint_id: uuid.UUID,
    data: dict[str, Any],
    policy: TargetPolicy,
) -> WebhookEndpoint:
    """Change the given fields (URL, event types, description, limits, ordering)."""
    values = await _validated(session, data, policy, partial=True)
    endpoint = await _get(session, endpoint_id)
    changes = {
        name: {"old": getattr(endpoint, name), "new": value}
        for name, value in values.items()
        if getattr(endpoint, name) != value
    }
    for name, value in values.items():
        setattr(endpoint, name, value)
    _touch(endpoint)
    record_audit(
        session, principal, "webhook_endpoint.updated", "webhook_endpoint", endpoint.id, changes
    )
    return endpoint


async def set_endpoint_enabled(
    session: AsyncSession, principal: Principal, endpoint_id: uuid.UUID, enabled: bool
) -> WebhookEndpoint:
    """Pause or resume deliveries; resuming clears the failure streak."""
    endpoint = await _get(session, endpoint_id)
    endpoint.state = EndpointState.ENABLED if enabled else EndpointState.DISABLED
    endpoint.disabled_reason = None if enabled else f"disabled by {principal.actor}"
    endpoint.failing_since = None
    _touch(endpoint)
    action = "enabled" if enabled else "disabled"
    record_audit(session, principal, f"webhook_endpoint.{action}", "webhook_endpoint", endpoint.id)
    return endpoint


async def rotate_secret(
    session: AsyncSession, principal: Principal, endpoint_id: uuid.UUID
) -> tuple[WebhookEndpoint, str]:
    """A new secret; the old one keeps signing beside it for 24 hours."""
    endpoint = await _get(session, endpoint_id)
    secret = new_secret()
    endpoint.previous_secret = endpoint.secret
    endpoint.previous_secret_expires_at = utcnow() + ROTATION_OVERLAP
    endpoint.secret = secret
    _touch(endpoint)
    record_audit(
        session, principal, "webhook_endpoint.secret_rotated", "webhook_endpoint", endpoint.id
    )
    return endpoint, secret


async def send_test_event(
    session: AsyncSession, principal: Principal, endpoint_id: uuid.UUID
) -> WebhookDelivery:
    """A `webhook_endpoint.test` event delivered to this endpoint only."""
    endpoint = await _get(session, endpoint_id)
    event = record_event(
        session,
        principal,
        "webhook_endpoint.test",
        "webhook_endpoint",
        endpoint.id,
        endpoint.version,
        {"id": str(endpoint.id), "message": "test event"},
    )
    # Only this endpoint gets it: keep the unit of work from routing it to every `*` subscriber.
    session.info[OUTBOX_KEY].remove(event)
    await session.flush()
    delivery = WebhookDelivery(
        event_position=event.position,  # type: ignore[arg-type]
        event_id=event.id,
        endpoint_id=endpoint.id,
        entity_id=endpoint.id,
    )
    session.add(delivery)
    await session.flush()
    touch(session, Topic.DELIVERIES)
    return delivery


async def resend_delivery(
    session: AsyncSession, principal: Principal, delivery_id: uuid.UUID
) -> WebhookDelivery:
    """Queue a delivery again now, with the same event (and so the same webhook-id)."""
    delivery = await session.get(WebhookDelivery, delivery_id, with_for_update=True)
    if delivery is None:
        raise ServiceError.single(ErrorCode.NOT_FOUND, "delivery not found", "id")
    delivery.status = DeliveryStatus.PENDING
    delivery.next_attempt_at = utcnow()
    delivery.finished_at = None
    delivery.lease_until = None
    record_audit(session, principal, "webhook_delivery.resent", "webhook_delivery", delivery.id)
    touch(session, Topic.DELIVERIES)
    return delivery


async def recover_failed(
    session: AsyncSession, principal: Principal, endpoint_id: uuid.UUID, since: datetime
) -> int:
    """Queue again every failed delivery of an endpoint created since a time; returns how many."""
    await _get(session, endpoint_id)
    deliveries = table_of(WebhookDelivery)
    result = await session.execute(
        update(deliveries)
        .where(
            deliveries.c.endpoint_id == endpoint_id,
            deliveries.c.status == DeliveryStatus.FAILED,
            deliveries.c.created_at >= since,
        )
        .values(status=DeliveryStatus.PENDING, next_attempt_at=utcnow(), finished_at=None)
    )
    count = int(result.rowcount or 0)  # type: ignore[attr-defined]
    record_audit(
        session,
        principal,
        "webhook_endpoint.recovered",
        "webhook_endpoint",
        endpoint_id,
        {"deliveries": {"old": None, "new": count}},
    )
    touch(session, Topic.DELIVERIES)
    return count
