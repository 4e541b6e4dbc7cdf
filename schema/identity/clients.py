"""API clients of partner systems: their type, list and the mutations that manage them."""

from __future__ import annotations

from datetime import datetime

import strawberry

from kernel.permissions import Scope
from resolvers.identity import clients as service
from schema.connections import list_field, order_input
from schema.context import Info
from schema.errors import UserError
from schema.filters import DateTimeFilter, IDFilter, StringFilter
from schema.node import Node
from schema.permissions import requires
from schema.services import node_pk, run_service

ApiClientOrder = order_input("api_client", "ApiClient")
CAN_MANAGE = [requires(Scope.CLIENTS_MANAGE)]


@strawberry.input(description="Conditions on API clients.")
class ApiClientFilter:
    id: IDFilter | None = strawberry.UNSET
    name: StringFilter | None = strawberry.UNSET
    client_id: StringFilter | None = strawberry.UNSET
    revoked_at: DateTimeFilter | None = strawberry.UNSET
    created_at: DateTimeFilter | None = strawberry.UNSET
    and_: list[ApiClientFilter] | None = strawberry.field(name="and", default=strawberry.UNSET)
    or_: list[ApiClientFilter] | None = strawberry.field(name="or", default=strawberry.UNSET)
    not_: ApiClientFilter | None = strawberry.field(name="not", default=strawberry.UNSET)


@strawberry.type(
    description="A partner system that gets short-lived tokens at `POST /oauth/token` with its "
    "client id and secret (OAuth2 client credentials). The secret is shown only when issued."
)
class ApiClient(Node):
    name: str
    client_id: str = strawberry.field(description="The public identifier sent with the secret.")
    scopes: list[str] = strawberry.field(description="What its tokens may do.")
    revoked_at: datetime | None = strawberry.field(
        description="When it was revoked: no tokens since, and its tokens are refused."
    )
    last_used_at: datetime | None = strawberry.field(description="When it last got a token.")
    created_by: str | None
    created_at: datetime
    updated_at: datetime
    version: int


@strawberry.input(description="A new API client.")
class CreateApiClientInput:
    name: str
    scopes: list[str] = strawberry.field(description='Scopes such as "customers:read".')


@strawberry.type(description="An API client with its new secret, or why it was not written.")
class ApiClientSecretPayload:
    api_client: ApiClient | None
    secret: str | None = strawberry.field(
        description="The client secret. Shown this once: only a hash of it is kept."
    )
    errors: list[UserError]


@strawberry.type(description="The API client as written, or why it was not.")
class ApiClientPayload:
    api_client: ApiClient | None
    errors: list[UserError]


def _with_secret(result: service.IssuedSecret | list[UserError]) -> ApiClientSecretPayload:
    if isinstance(result, list):
        return ApiClientSecretPayload(api_client=None, secret=None, errors=result)
    client = ApiClient.from_row(result.client)
    return ApiClientSecretPayload(api_client=client, secret=result.secret, errors=[])


API_CLIENTS = list_field(
    "api_client",
    ApiClient,
    ApiClientFilter,
    ApiClientOrder,
    "name",
    "API clients of partner systems, revoked ones included.",
)


@strawberry.type
class ApiClientMutation:
    @strawberry.mutation(
        description="Register a partner system; the payload holds its secret, shown once.",
        permission_classes=CAN_MANAGE,
    )
    async def create_api_client(
        self, info: Info, input: CreateApiClientInput
    ) -> ApiClientSecretPayload:
        result = await run_service(
            info, lambda s, p: service.create_api_client(s, p, input.name, input.scopes)
        )
        return _with_secret(result)

    @strawberry.mutation(
        description="Issue a new secret (shown once); the old one stops working at once.",
        permission_classes=CAN_MANAGE,
    )
    async def rotate_api_client_secret(
        self, info: Info, id: strawberry.ID
    ) -> ApiClientSecretPayload:
        result = await run_service(
            info, lambda s, p: service.rotate_api_client_secret(s, p, node_pk(id, "ApiClient"))
        )
        return _with_secret(result)

    @strawberry.mutation(
        description="Revoke a client: no new tokens, and its tokens are refused from now on.",
        permission_classes=CAN_MANAGE,
    )
    async def revoke_api_client(self, info: Info, id: strawberry.ID) -> ApiClientPayload:
        result = await run_service(
            info, lambda s, p: service.revoke_api_client(s, p, node_pk(id, "ApiClient"))
        )
        if isinstance(result, list):
            return ApiClientPayload(api_client=None, errors=result)
        return ApiClientPayload(api_client=ApiClient.from_row(result), errors=[])
