"""Mutation inputs: create inputs per entity, update inputs derived from them."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from decimal import Decimal
from typing import Any, get_type_hints

import strawberry
from strawberry.types.base import StrawberryOptional, has_object_definition

from kernel.errors import ErrorCode, InvalidArgumentError, ServiceError
from schema.campaigns.types import CampaignChannel, CampaignStatus, MemberStatus
from schema.customers.interactions import InteractionKind
from schema.customers.purchases import PurchaseKind, PurchaseStatus
from schema.customers.types import CreditStatus, LifecycleStage
from schema.ids import decode_id
from schema.tickets.types import TicketChannel, TicketPriority, TicketStatus

UNSET: Any = strawberry.UNSET


@strawberry.input(description="A new customer.")
class CreateCustomerInput:
    name: str
    domain: str | None = UNSET
    industry: str | None = UNSET
    employees: int | None = UNSET
    lifecycle_stage: LifecycleStage | None = UNSET
    credit_status: CreditStatus | None = UNSET
    tier: str | None = strawberry.field(
        default=UNSET, description="Service tier, e.g. gold: selects the SLA policy of that tier."
    )
    owner_id: strawberry.ID | None = UNSET
    phone: str | None = UNSET
    street: str | None = UNSET
    city: str | None = UNSET
    postal_code: str | None = UNSET
    country: str | None = strawberry.field(default=UNSET, description="ISO 3166-1 alpha-2.")
    tags: list[str] | None = UNSET
    external_id: str | None = UNSET


@strawberry.input(description="A new contact.")
class CreateContactInput:
    customer_id: strawberry.ID | None = UNSET
    first_name: str | None = UNSET
    last_name: str | None = UNSET
    email: str | None = UNSET
    phone: str | None = UNSET
    title: str | None = UNSET
    owner_id: strawberry.ID | None = UNSET
    marketing_opt_in: bool | None = UNSET
    opt_in_source: str | None = UNSET
    external_id: str | None = UNSET


@strawberry.input(description="A new interaction; it concerns a customer, a contact or both.")
class CreateInteractionInput:
    kind: InteractionKind
    occurred_at: datetime
    subject: str
    summary: str | None = UNSET
    customer_id: strawberry.ID | None = UNSET
    contact_id: strawberry.ID | None = UNSET
    user_id: strawberry.ID | None = UNSET
    campaign_id: strawberry.ID | None = strawberry.field(
        default=UNSET, description="The campaign this touch belongs to (attribution)."
    )


@strawberry.input(description="One line of a purchase.")
class PurchaseLineInput:
    description: str
    quantity: Decimal
    unit_price: Decimal
    sku: str | None = UNSET


@strawberry.input(description="A new order or invoice; its total is the sum of its lines.")
class CreatePurchaseInput:
    customer_id: strawberry.ID
    number: str
    currency: str
    ordered_at: datetime
    kind: PurchaseKind | None = UNSET
    status: PurchaseStatus | None = UNSET
    lines: list[PurchaseLineInput] | None = UNSET
    deal_id: strawberry.ID | None = strawberry.field(
        default=UNSET, description="The won deal this order fulfils."
    )
    external_id: str | None = UNSET


@strawberry.input(description="A new deal; without a stage it starts in the pipeline's first.")
class CreateDealInput:
    name: str
    customer_id: strawberry.ID
    amount: Decimal
    currency: str = strawberry.field(description="ISO 4217 code, e.g. EUR.")
    contact_id: strawberry.ID | None = UNSET
    pipeline_id: strawberry.ID | None = UNSET
    stage_id: strawberry.ID | None = UNSET
    owner_id: strawberry.ID | None = UNSET
    campaign_id: strawberry.ID | None = UNSET
    expected_close_date: date | None = UNSET
    lost_reason_id: strawberry.ID | None = strawberry.field(
        default=UNSET, description="Why it was lost: required in (and only in) a lost stage."
    )
    external_id: str | None = UNSET


@strawberry.input(description="A new campaign.")
class CreateCampaignInput:
    name: str
    channel: CampaignChannel
    status: CampaignStatus | None = UNSET
    currency: str | None = UNSET
    budget: Decimal | None = UNSET
    actual_cost: Decimal | None = strawberry.field(
        default=UNSET,
        deprecation_reason="The actual cost is the sum of the campaign's costs "
        "(addCampaignCost, removeCampaignCost); setting it is refused with VALIDATION.",
    )
    expected_revenue: Decimal | None = UNSET
    parent_id: strawberry.ID | None = strawberry.field(
        default=UNSET, description="The parent campaign, whose figures include this one's."
    )
    starts_on: date | None = UNSET
    ends_on: date | None = UNSET
    owner_id: strawberry.ID | None = UNSET


@strawberry.input(description="A contact added to a campaign.")
class CreateCampaignMemberInput:
    campaign_id: strawberry.ID
    contact_id: strawberry.ID
    status: MemberStatus | None = UNSET


@strawberry.input(description="A member's new status.")
class UpdateCampaignMemberInput:
    status: MemberStatus | None = UNSET


@strawberry.input(description="A new ticket.")
class CreateTicketInput:
    subject: str
    description: str | None = UNSET
    status: TicketStatus | None = UNSET
    priority: TicketPriority | None = UNSET
    channel: TicketChannel | None = UNSET
    customer_id: strawberry.ID | None = UNSET
    contact_id: strawberry.ID | None = UNSET
    assignee_id: strawberry.ID | None = UNSET
    team_id: strawberry.ID | None = strawberry.field(
        default=UNSET,
        description="The team it is given to; without an assignee, the team's ticket "
        "assignment may pick one.",
    )
    external_id: str | None = UNSET


@strawberry.input(description="A new comment on a ticket.")
class CreateTicketCommentInput:
    ticket_id: strawberry.ID
    body: str
    is_public: bool | None = UNSET


@strawberry.input(description="Changes to a comment.")
class UpdateTicketCommentInput:
    body: str | None = UNSET
    is_public: bool | None = UNSET


def update_input(create: type, name: str, description: str) -> Any:
    """The create input's fields, all optional: only the fields given are changed."""
    hints = get_type_hints(create)
    annotations: dict[str, Any] = {}
    namespace: dict[str, Any] = {}
    for field in create.__strawberry_definition__.fields:  # type: ignore[attr-defined]
        annotations[field.python_name] = hints[field.python_name] | None
        namespace[field.python_name] = UNSET
    namespace["__annotations__"] = annotations
    return strawberry.input(type(name, (), namespace), description=description)


def _is_id(field: Any) -> bool:
    field_type = field.type.of_type if isinstance(field.type, StrawberryOptional) else field.type
    return field_type is strawberry.ID


def to_values(value: Any, path: tuple[str, ...] = ()) -> Any:
    """An input object as the plain data a service takes: UNSET dropped, global ids decoded.

    A malformed id is a VALIDATION error at its path inside the argument (`teamId`, or
    `actions.0.teamId` in a list), as a service reports a refused value.
    """
    if isinstance(value, list):
        return [to_values(item, (*path, str(index))) for index, item in enumerate(value)]
    if not has_object_definition(value):
        return value
    id_fields = {f.python_name for f in value.__strawberry_definition__.fields if _is_id(f)}
    result: dict[str, Any] = {}
    for field in dataclasses.fields(value):  # type: ignore[arg-type]
        item = getattr(value, field.name)
        if item is UNSET:
            continue
        if field.name in id_fields and item is not None:
            try:
                item = decode_id(item, field.name)[1]
            except InvalidArgumentError as exc:
                raise ServiceError.single(
                    ErrorCode.VALIDATION, str(exc), *path, field.name
                ) from exc
        result[field.name] = to_values(item, (*path, field.name))
    return result
