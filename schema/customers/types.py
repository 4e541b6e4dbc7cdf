"""Customers (accounts) and contacts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry

from models import CreditStatus as CreditStatusModel
from models import LifecycleStage as LifecycleStageModel
from resolvers import graph
from resolvers.privacy import mask_email, mask_phone
from schema.connections import connection_field, lazy, order_input, to_one
from schema.context import Info
from schema.filters import (
    BooleanFilter,
    DateTimeFilter,
    IDFilter,
    IntFilter,
    StringFilter,
    enum_filter,
    some_or_none,
)
from schema.identity.users import User, UserFilter
from schema.node import Node
from schema.permissions import can_read, can_see_pii
from schema.privacy.consents import Consent, consents_field, load_current_consents
from schema.sources import Personal, source

LifecycleStage = strawberry.enum(
    LifecycleStageModel, name="LifecycleStage", description="Where a customer is in its lifecycle."
)
LifecycleStageFilter = enum_filter(LifecycleStageModel, "LifecycleStageFilter")
CreditStatus = strawberry.enum(
    CreditStatusModel,
    name="CreditStatus",
    description="Whether the ERP lets the customer order on credit.",
)
CreditStatusFilter = enum_filter(CreditStatusModel, "CreditStatusFilter")
CustomerOrder = order_input("customer", "Customer")
ContactOrder = order_input("contact", "Contact")


DealT = lazy("Deal", "schema.deals.types")
DealFilterT = lazy("DealFilter", "schema.deals.types")
DealOrderT = lazy("DealOrder", "schema.deals.types")
TicketT = lazy("Ticket", "schema.tickets.types")
TicketFilterT = lazy("TicketFilter", "schema.tickets.types")
TicketOrderT = lazy("TicketOrder", "schema.tickets.types")
InteractionT = lazy("Interaction", "schema.customers.interactions")
InteractionFilterT = lazy("InteractionFilter", "schema.customers.interactions")
InteractionOrderT = lazy("InteractionOrder", "schema.customers.interactions")
PurchaseT = lazy("Purchase", "schema.customers.purchases")
PurchaseFilterT = lazy("PurchaseFilter", "schema.customers.purchases")
PurchaseOrderT = lazy("PurchaseOrder", "schema.customers.purchases")
CampaignT = lazy("Campaign", "schema.campaigns.types")
CampaignFilterT = lazy("CampaignFilter", "schema.campaigns.types")
CampaignOrderT = lazy("CampaignOrder", "schema.campaigns.types")
MemberT = lazy("CampaignMember", "schema.campaigns.types")
MemberFilterT = lazy("CampaignMemberFilter", "schema.campaigns.types")
MemberOrderT = lazy("CampaignMemberOrder", "schema.campaigns.types")


DealListFilter = some_or_none("DealListFilter", DealFilterT, "related record")


TicketListFilter = some_or_none("TicketListFilter", TicketFilterT, "related record")


InteractionListFilter = some_or_none("InteractionListFilter", InteractionFilterT, "related record")


PurchaseListFilter = some_or_none("PurchaseListFilter", PurchaseFilterT, "related record")


CampaignMemberListFilter = some_or_none("CampaignMemberListFilter", MemberFilterT, "related record")


@strawberry.input(description="Conditions on customers; fields combine with AND.")
class CustomerFilter:
    id: IDFilter | None = strawberry.UNSET
    name: StringFilter | None = strawberry.UNSET
    domain: StringFilter | None = strawberry.UNSET
    industry: StringFilter | None = strawberry.UNSET
    employees: IntFilter | None = strawberry.UNSET
    lifecycle_stage: LifecycleStageFilter | None = strawberry.UNSET
    credit_status: CreditStatusFilter | None = strawberry.UNSET
    owner_id: IDFilter | None = strawberry.UNSET
    phone: StringFilter | None = strawberry.UNSET
    city: StringFilter | None = strawberry.UNSET
    country: StringFilter | None = strawberry.UNSET
    external_id: StringFilter | None = strawberry.UNSET
    created_at: DateTimeFilter | None = strawberry.UNSET
    updated_at: DateTimeFilter | None = strawberry.UNSET
    deleted_at: DateTimeFilter | None = strawberry.UNSET
    owner: UserFilter | None = strawberry.UNSET
    contacts: ContactListFilter | None = strawberry.UNSET
    deals: DealListFilter | None = strawberry.UNSET
    tickets: TicketListFilter | None = strawberry.UNSET
    interactions: InteractionListFilter | None = strawberry.UNSET
    purchases: PurchaseListFilter | None = strawberry.UNSET
    and_: list[CustomerFilter] | None = strawberry.field(name="and", default=strawberry.UNSET)
    or_: list[CustomerFilter] | None = strawberry.field(name="or", default=strawberry.UNSET)
    not_: CustomerFilter | None = strawberry.field(name="not", default=strawberry.UNSET)


@strawberry.input(
    description="Conditions on a phone number, matched whatever its formatting "
    "(`+49 30 1234` equals `+49301234`). Phones are stored encrypted: no partial matches."
)
class PhoneFilter:
    eq: str | None = strawberry.UNSET
    in_: list[str] | None = strawberry.field(name="in", default=strawberry.UNSET)


@strawberry.input(description="Conditions on contacts; fields combine with AND.")
class ContactFilter:
    id: IDFilter | None = strawberry.UNSET
    customer_id: IDFilter | None = strawberry.UNSET
    first_name: StringFilter | None = strawberry.UNSET
    last_name: StringFilter | None = strawberry.UNSET
    email: StringFilter | None = strawberry.UNSET
    phone: PhoneFilter | None = strawberry.UNSET
    owner_id: IDFilter | None = strawberry.UNSET
    marketing_opt_in: BooleanFilter | None = strawberry.UNSET
    external_id: StringFilter | None = strawberry.UNSET
    created_at: DateTimeFilter | None = strawberry.UNSET
    updated_at: DateTimeFilter | None = strawberry.UNSET
    deleted_at: DateTimeFilter | None = strawberry.UNSET
    customer: CustomerFilter | None = strawberry.UNSET
    owner: UserFilter | None = strawberry.UNSET
    deals: DealListFilter | None = strawberry.UNSET
    tickets: TicketListFilter | None = strawberry.UNSET
    interactions: InteractionListFilter | None = strawberry.UNSET
    campaign_memberships: CampaignMemberListFilter | None = strawberry.UNSET
    and_: list[ContactFilter] | None = strawberry.field(name="and", default=strawberry.UNSET)
    or_: list[ContactFilter] | None = strawberry.field(name="or", default=strawberry.UNSET)
    not_: ContactFilter | None = strawberry.field(name="not", default=strawberry.UNSET)


ContactListFilter = some_or_none("ContactListFilter", ContactFilter, "related record")


@strawberry.type(description="A company or account the business sells to or serves.")
class Customer(Node):
    name: str
    domain: str | None = strawberry.field(description="Web domain, e.g. example.com.")
    industry: str | None
    employees: int | None
    lifecycle_stage: LifecycleStage
    credit_status: CreditStatus | None = strawberry.field(
        description="Set by the ERP; null when no ERP reports it."
    )
    tier: str | None = strawberry.field(
        description="Service tier (e.g. gold): selects the SLA policy of that tier."
    )
    phone: str | None
    street: str | None
    city: str | None
    postal_code: str | None
    country: str | None = strawberry.field(description="ISO 3166-1 alpha-2 code.")
    tags: list[str]
    external_id: str | None = strawberry.field(description="Id in the ERP or source system.")
    version: int = strawberry.field(description="Pass as `expectedVersion` when updating.")
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None = strawberry.field(description="Set while in the trash.")
    owner_id: strawberry.Private[Any]

    owner = to_one(User, "owner_id", "user", "The user responsible for this customer.")

    contacts = connection_field(
        graph.CONTACTS_BY_CUSTOMER,
        lazy("Contact", "schema.customers.types"),
        lazy("ContactFilter", "schema.customers.types"),
        lazy("ContactOrder", "schema.customers.types"),
        "last_name",
        "People at this customer.",
    )
    deals = connection_field(
        graph.DEALS_BY_CUSTOMER, DealT, DealFilterT, DealOrderT, "created_at", "Deals."
    )
    tickets = connection_field(
        graph.TICKETS_BY_CUSTOMER,
        TicketT,
        TicketFilterT,
        TicketOrderT,
        "created_at",
        "Service tickets.",
    )
    interactions = connection_field(
        graph.INTERACTIONS_BY_CUSTOMER,
        InteractionT,
        InteractionFilterT,
        InteractionOrderT,
        "occurred_at",
        "Calls, emails, meetings and notes.",
    )
    purchases = connection_field(
        graph.PURCHASES_BY_CUSTOMER,
        PurchaseT,
        PurchaseFilterT,
        PurchaseOrderT,
        "ordered_at",
        "Orders and invoices.",
    )
    campaigns = connection_field(
        graph.CAMPAIGNS_BY_CUSTOMER,
        CampaignT,
        CampaignFilterT,
        CampaignOrderT,
        "created_at",
        "Campaigns any of this customer's contacts is a member of.",
    )


@strawberry.type(description="A person, usually working at a customer.")
class Contact(Node):
    first_name: str
    last_name: str
    row: strawberry.Private[Any]
    title: str | None
    marketing_opt_in: bool = strawberry.field(description="Consent to marketing messages.")
    opt_in_at: datetime | None
    opt_in_source: str | None
    external_id: str | None
    version: int
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None
    erased_at: datetime | None = strawberry.field(
        description="When this person's data was erased (GDPR); the record stays anonymized."
    )
    customer_id: strawberry.Private[Any]
    owner_id: strawberry.Private[Any]

    consents = consents_field()

    @strawberry.field(
        description="The consent in force for each purpose ever asked: the latest of each.",
        permission_classes=can_read("consent"),
    )
    async def current_consents(self, info: Info) -> list[Consent]:
        return await load_current_consents(info, self.pk)

    @strawberry.field(
        description="Email address; masked without the pii:read scope.",
        metadata=source(Personal("email", mask_email)),
    )
    def email(self, info: Info) -> str | None:
        email: str | None = self.row.email
        return email if can_see_pii(info) else mask_email(email)

    @strawberry.field(
        description="Phone number; masked without the pii:read scope.",
        metadata=source(Personal("phone", mask_phone)),
    )
    def phone(self, info: Info) -> str | None:
        phone: str | None = self.row.phone
        return phone if can_see_pii(info) else mask_phone(phone)

    customer = to_one(Customer, "customer_id", "customer", "The customer this person works at.")

    owner = to_one(User, "owner_id", "user", "The user responsible for this contact.")

    deals = connection_field(
        graph.DEALS_BY_CONTACT, DealT, DealFilterT, DealOrderT, "created_at", "Deals."
    )
    tickets = connection_field(
        graph.TICKETS_BY_CONTACT, TicketT, TicketFilterT, TicketOrderT, "created_at", "Tickets."
    )
    interactions = connection_field(
        graph.INTERACTIONS_BY_CONTACT,
        InteractionT,
        InteractionFilterT,
        InteractionOrderT,
        "occurred_at",
        "Calls, emails, meetings and notes.",
    )
    campaign_memberships = connection_field(
        graph.MEMBERSHIPS_BY_CONTACT,
        MemberT,
        MemberFilterT,
        MemberOrderT,
        "created_at",
        "Campaigns this person is targeted by.",
    )
