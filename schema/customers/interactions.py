"""Interactions: the contact record."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry

from models import InteractionKind as InteractionKindModel
from schema.connections import lazy, order_input, to_one
from schema.customers.types import Contact, ContactFilter, Customer, CustomerFilter
from schema.filters import DateTimeFilter, IDFilter, enum_filter
from schema.identity.users import User
from schema.node import Node

CampaignT = lazy("Campaign", "schema.campaigns.types")

InteractionKind = strawberry.enum(
    InteractionKindModel, name="InteractionKind", description="What kind of touch point."
)
InteractionKindFilter = enum_filter(InteractionKindModel, "InteractionKindFilter")
InteractionOrder = order_input("interaction", "Interaction")


@strawberry.input(description="Conditions on interactions.")
class InteractionFilter:
    id: IDFilter | None = strawberry.UNSET
    kind: InteractionKindFilter | None = strawberry.UNSET
    occurred_at: DateTimeFilter | None = strawberry.UNSET
    customer_id: IDFilter | None = strawberry.UNSET
    contact_id: IDFilter | None = strawberry.UNSET
    user_id: IDFilter | None = strawberry.UNSET
    created_at: DateTimeFilter | None = strawberry.UNSET
    deleted_at: DateTimeFilter | None = strawberry.UNSET
    customer: CustomerFilter | None = strawberry.UNSET
    contact: ContactFilter | None = strawberry.UNSET
    and_: list[InteractionFilter] | None = strawberry.field(name="and", default=strawberry.UNSET)
    or_: list[InteractionFilter] | None = strawberry.field(name="or", default=strawberry.UNSET)
    not_: InteractionFilter | None = strawberry.field(name="not", default=strawberry.UNSET)


@strawberry.type(description="A call, email, meeting or note with a customer or contact.")
class Interaction(Node):
    kind: InteractionKind
    occurred_at: datetime
    subject: str
    summary: str | None
    version: int
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None
    customer_id: strawberry.Private[Any]
    contact_id: strawberry.Private[Any]
    user_id: strawberry.Private[Any]
    campaign_id: strawberry.Private[Any]

    customer = to_one(Customer, "customer_id", "customer", "The customer it concerns.")

    contact = to_one(Contact, "contact_id", "contact", "The person it was with.")

    user = to_one(User, "user_id", "user", "The user who had it.")

    campaign = to_one(
        CampaignT, "campaign_id", "campaign", "The campaign this touch belongs to (attribution)."
    )
