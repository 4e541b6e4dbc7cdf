"""Managing webhook endpoints and their deliveries (scope webhooks:manage)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar

import strawberry

from kernel.permissions import Scope
from schema.context import Info
from schema.errors import UserError
from schema.inputs import UNSET, to_values
from schema.permissions import requires
from schema.services import node_pk, run_service
from schema.webhooks.types import WebhookDelivery, WebhookEndpoint
from webhooks import endpoints as service

R = TypeVar("R")
MANAGE = [requires(Scope.WEBHOOKS_MANAGE)]


@strawberry.input(description="A receiver and the events it wants.")
class CreateWebhookEndpointInput:
    url: str = strawberry.field(description="https URL of a public host.")
    event_types: list[str] = strawberry.field(description="`*`, `deal.*`, or event types.")
    description: str | None = UNSET
    max_concurrency: int | None = UNSET
    rate_limit_per_second: float | None = UNSET
    ordered: bool | None = UNSET
    connection_id: strawberry.ID | None = strawberry.field(
        default=UNSET,
        description="The integration connection this endpoint feeds: changes that came from "
        "it are not sent back unless the connection asks for echoes.",
    )


@strawberry.input(description="Changes to an endpoint; only the given fields change.")
class UpdateWebhookEndpointInput:
    url: str | None = UNSET
    event_types: list[str] | None = UNSET
    description: str | None = UNSET
    max_concurrency: int | None = UNSET
    rate_limit_per_second: float | None = UNSET
    ordered: bool | None = UNSET
    connection_id: strawberry.ID | None = UNSET


@strawberry.type(description="An endpoint as written, or why not.")
class WebhookEndpointPayload:
    webhook_endpoint: WebhookEndpoint | None
    errors: list[UserError]


@strawberry.type(description="An endpoint and its new signing secret, shown this once.")
class WebhookEndpointSecretPayload:
    webhook_endpoint: WebhookEndpoint | None
    secret: str | None = strawberry.field(description="`whsec_...`: store it now.")
    errors: list[UserError]


@strawberry.type(description="A delivery queued, or why not.")
class WebhookDeliveryPayload:
    delivery: WebhookDelivery | None
    errors: list[UserError]


@strawberry.type(description="How many failed deliveries were queued again.")
class RecoverWebhookDeliveriesPayload:
    count: int
    errors: list[UserError]


@strawberry.type
class WebhookMutation:
    @strawberry.mutation(
        description="Register an endpoint; the answer holds its secret, shown once.",
        permission_classes=MANAGE,
    )
    async def create_webhook_endpoint(
        self,
        info: Info,
        input: CreateWebhookEndpointInput,
    ) -> WebhookEndpointSecretPayload:
        policy = info.context.webhook_policy
        result = await run_service(
            info, lambda s, p: service.create_endpoint(s, p, to_values(input), policy)
        )
        if isinstance(result, list):
            return WebhookEndpointSecretPayload(webhook_endpoint=None, secret=None, errors=result)
        endpoint, secret = result
        return WebhookEndpointSecretPayload(
            webhook_endpoint=WebhookEndpoint.from_row(endpoint), secret=secret, errors=[]
        )

    @strawberry.mutation(description="Change an endpoint.", permission_classes=MANAGE)
    async def update_webhook_endpoint(
        self,
        info: Info,
        id: strawberry.ID,
        input: UpdateWebhookEndpointInput,
    ) -> WebhookEndpointPayload:
        policy = info.context.webhook_policy
        result = await run_service(
            info,
            lambda s, p: service.update_endpoint(
                s, p, node_pk(id, "WebhookEndpoint"), to_values(input), policy
            ),
        )
        return _endpoint_payload(result)

    @strawberry.mutation(description="Resume deliveries to an endpoint.", permission_classes=MANAGE)
    async def enable_webhook_endpoint(
        self,
        info: Info,
        id: strawberry.ID,
    ) -> WebhookEndpointPayload:
        result = await run_service(
            info,
            lambda s, p: service.set_endpoint_enabled(s, p, node_pk(id, "WebhookEndpoint"), True),
        )
        return _endpoint_payload(result)

    @strawberry.mutation(description="Pause deliveries to an endpoint.", permission_classes=MANAGE)
    async def disable_webhook_endpoint(
        self,
        info: Info,
        id: strawberry.ID,
    ) -> WebhookEndpointPayload:
        result = await run_service(
            info,
            lambda s, p: service.set_endpoint_enabled(s, p, node_pk(id, "WebhookEndpoint"), False),
        )
        return _endpoint_payload(result)

    @strawberry.mutation(
        description="A new signing secret; the old one also signs for 24 hours.",
        permission_classes=MANAGE,
    )
    async def rotate_webhook_endpoint_secret(
        self,
        info: Info,
        id: strawberry.ID,
    ) -> WebhookEndpointSecretPayload:
        result = await run_service(
            info, lambda s, p: service.rotate_secret(s, p, node_pk(id, "WebhookEndpoint"))
        )
        if isinstance(result, list):
            return WebhookEndpointSecretPayload(webhook_endpoint=None, secret=None, errors=result)
        endpoint, secret = result
        return WebhookEndpointSecretPayload(
            webhook_endpoint=WebhookEndpoint.from_row(endpoint), secret=secret, errors=[]
        )

    @strawberry.mutation(
        description="Send a test event to one endpoint.", permission_classes=MANAGE
    )
    async def send_webhook_test_event(
        self,
        info: Info,
        id: strawberry.ID,
    ) -> WebhookDeliveryPayload:
        result = await run_service(
            info, lambda s, p: service.send_test_event(s, p, node_pk(id, "WebhookEndpoint"))
        )
        return _delivery_payload(result)

    @strawberry.mutation(
        description="Deliver one delivery again (same webhook-id).", permission_classes=MANAGE
    )
    async def resend_webhook_delivery(
        self,
        info: Info,
        id: strawberry.ID,
    ) -> WebhookDeliveryPayload:
        result = await run_service(
            info, lambda s, p: service.resend_delivery(s, p, node_pk(id, "WebhookDelivery"))
        )
        return _delivery_payload(result)

    @strawberry.mutation(
        description="Queue again every failed delivery of an endpoint since a time.",
        permission_classes=MANAGE,
    )
    async def recover_webhook_deliveries(
        self, info: Info, endpoint_id: strawberry.ID, since: datetime
    ) -> RecoverWebhookDeliveriesPayload:
        result = await run_service(
            info,
            lambda s, p: service.recover_failed(
                s, p, node_pk(endpoint_id, "WebhookEndpoint"), since
            ),
        )
        if isinstance(result, list):
            return RecoverWebhookDeliveriesPayload(count=0, errors=result)
        return RecoverWebhookDeliveriesPayload(count=result, errors=[])


def _endpoint_payload(result: Any) -> WebhookEndpointPayload:
    if isinstance(result, list):
        return WebhookEndpointPayload(webhook_endpoint=None, errors=result)
    return WebhookEndpointPayload(webhook_endpoint=WebhookEndpoint.from_row(result), errors=[])


def _delivery_payload(result: Any) -> WebhookDeliveryPayload:
    if isinstance(result, list):
        return WebhookDeliveryPayload(delivery=None, errors=result)
    return WebhookDeliveryPayload(delivery=WebhookDelivery.from_row(result), errors=[])
