"""Webhook endpoints, their deliveries and attempts (scope webhooks:manage)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from strawberry.scalars import JSON

from models.webhooks import DeliveryStatus as DeliveryStatusModel
from models.webhooks import EndpointState as EndpointStateModel
from resolvers import graph
from schema.connections import connection_field, lazy, order_input, to_one
from schema.context import Info
from schema.filters import DateTimeFilter, enum_filter
from schema.node import Node
from schema.permissions import can_read

EndpointState = strawberry.enum(EndpointStateModel, name="WebhookEndpointState")
DeliveryStatus = strawberry.enum(DeliveryStatusModel, name="WebhookDeliveryStatus")
DeliveryStatusFilter = enum_filter(DeliveryStatusModel, "WebhookDeliveryStatusFilter")
EndpointOrder = order_input("webhook_endpoint", "WebhookEndpoint")
DeliveryOrder = order_input("webhook_delivery", "WebhookDelivery")
AttemptOrder = order_input("webhook_attempt", "WebhookAttempt")


@strawberry.input(description="Conditions on webhook endpoints.")
class WebhookEndpointFilter:
    created_at: DateTimeFilter | None = strawberry.UNSET


@strawberry.input(description="Conditions on deliveries.")
class WebhookDeliveryFilter:
    status: DeliveryStatusFilter | None = strawberry.UNSET
    created_at: DateTimeFilter | None = strawberry.UNSET


@strawberry.input(description="Conditions on attempts.")
class WebhookAttemptFilter:
    started_at: DateTimeFilter | None = strawberry.UNSET


@strawberry.type(description="An outbox event: what happened, as receivers get it.")
class OutboxEvent(Node):
    type: str
    entity_type: str
    sequence: int = strawberry.field(description="The record's version after the change.")
    occurred_at: datetime
    payload: JSON


@strawberry.type(description="One HTTP request of a delivery and its answer.")
class WebhookAttempt(Node):
    number: int
    started_at: datetime
    duration_ms: int
    status_code: int | None
    error: str | None
    response_excerpt: str | None = strawberry.field(description="The first 2 KB of the answer.")


@strawberry.type(description="One event for one endpoint, retried until it succeeds or gives up.")
class WebhookDelivery(Node):
    status: DeliveryStatus
    attempts: int = strawberry.field(name="attemptCount", description="Attempts made so far.")
    next_attempt_at: datetime
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    finished_at: datetime | None
    event_id: strawberry.Private[Any]
    endpoint_id: strawberry.Private[Any]

    @strawberry.field(description="The `webhook-id` header of every attempt of this delivery.")
    def webhook_id(self) -> str:
        return str(self.event_id)

    @strawberry.field(description="The event delivered.", permission_classes=can_read("event"))
    async def event(self, info: Info) -> OutboxEvent | None:
        # Not `load_node`: it finds the table by type name, and `OutboxEvent` is `events`.
        row = await info.context.loaders.by_id(graph.SPECS["event"].table).load(self.event_id)
        return OutboxEvent.from_optional(row)

    endpoint = to_one(
        lazy("WebhookEndpoint", "schema.webhooks.types"),
        "endpoint_id",
        "webhook_endpoint",
        "The endpoint.",
    )

    attempt_log = connection_field(
        graph.ATTEMPTS_BY_DELIVERY,
        WebhookAttempt,
        WebhookAttemptFilter,
        AttemptOrder,
        "started_at",
        "Every attempt, oldest first: status code, latency, response excerpt.",
        name="attempts",
    )


@strawberry.type(description="A receiver of webhooks and the events it subscribes to.")
class WebhookEndpoint(Node):
    url: str
    description: str | None
    event_types: list[str] = strawberry.field(description="Patterns: `*`, `deal.*`, a type.")
    state: EndpointState
    disabled_reason: str | None
    failing_since: datetime | None
    max_concurrency: int | None
    rate_limit_per_second: float | None
    ordered: bool = strawberry.field(description="At most one delivery in flight per record.")
    version: int
    created_at: datetime
    updated_at: datetime

    deliveries = connection_field(
        graph.DELIVERIES_BY_ENDPOINT,
        WebhookDelivery,
        WebhookDeliveryFilter,
        DeliveryOrder,
        "created_at",
        "Deliveries to this endpoint, with their attempts.",
    )
