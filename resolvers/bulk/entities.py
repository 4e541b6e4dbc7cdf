"""What can be imported: per type, its service rules, column aliases, the columns that name
related records, and the keys an import may match existing records by."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table

from kernel.crud import EntityRules
from kernel.tables import table_of
from models import Contact, Customer, Deal, LostReason, Pipeline, Stage, User
from resolvers.customers.interactions import INTERACTION_RULES
from resolvers.customers.purchases import PURCHASE_RULES
from resolvers.customers.service import CONTACT_RULES, CUSTOMER_RULES
from resolvers.deals.service import DEAL_RULES


@dataclass(frozen=True)
class Lookup:
    """A column naming a related record by one of its keys; resolved once per batch."""

    field: str
    table: Table
    key: str
    lower: bool = False


@dataclass(frozen=True)
class EntityImport:
    entity: str
    rules: EntityRules[Any]
    aliases: Mapping[str, str]
    lookups: Mapping[str, Lookup]
    # Option name -> the columns that identify an existing record.
    match_keys: Mapping[str, tuple[str, ...]]
    default_match: str
    # Lookups that may create the missing related customer (`create_customers`).
    customer_lookups: tuple[str, ...] = field(default=())

    @property
    def table(self) -> Table:
        return table_of(self.rules.model)


customers, contacts, users = table_of(Customer), table_of(Contact), table_of(User)
_OWNER = {"owner_email": Lookup("owner_id", users, "email", lower=True)}
_CUSTOMER = {
    "customer_external_id": Lookup("customer_id", customers, "external_id"),
    "customer_name": Lookup("customer_id", customers, "name"),
    "customer_domain": Lookup("customer_id", customers, "domain", lower=True),
}
_CONTACT = {
    "contact_email": Lookup("contact_id", contacts, "email", lower=True),
    "contact_external_id": Lookup("contact_id", contacts, "external_id"),
}
_CUSTOMER_ALIASES = {
    "company": "customer_name",
    "company_name": "customer_name",
    "customer": "customer_name",
    "account": "customer_name",
    "account_name": "customer_name",
}

ENTITY_IMPORTS: dict[str, EntityImport] = {
    "customers": EntityImport(
        "customer",
        CUSTOMER_RULES,
        aliases={
            "company": "name",
            "company_name": "name",
            "account": "name",
            "account_name": "name",
            "customer_name": "name",
            "website": "domain",
            "zip": "postal_code",
            "zip_code": "postal_code",
            "postcode": "postal_code",
            "address": "street",
            "headcount": "employees",
            "employee_count": "employees",
            "stage": "lifecycle_stage",
            "lifecycle": "lifecycle_stage",
            "owner": "owner_email",
            "phone_number": "phone",
            "labels": "tags",
        },
        lookups=_OWNER,
        match_keys={"external_id": ("external_id",)},
        default_match="external_id",
    ),
    "contacts": EntityImport(
        "contact",
        CONTACT_RULES,
        aliases={
            **_CUSTOMER_ALIASES,
            "first": "first_name",
            "firstname": "first_name",
            "given_name": "first_name",
            "last": "last_name",
            "lastname": "last_name",
            "surname": "last_name",
            "family_name": "last_name",
            "e_mail": "email",
            "mail": "email",
            "email_address": "email",
            "phone_number": "phone",
            "mobile": "phone",
            "telephone": "phone",
            "job_title": "title",
            "position": "title",
            "opt_in": "marketing_opt_in",
            "owner": "owner_email",
        },
        lookups={**_CUSTOMER, **_OWNER},
        match_keys={"external_id": ("external_id",), "email": ("email",)},
        default_match="external_id",
        customer_lookups=("customer_name", "customer_external_id", "customer_domain"),
    ),
    "deals": EntityImport(
        "deal",
        DEAL_RULES,
        aliases={
            **_CUSTOMER_ALIASES,
            "deal": "name",
            "deal_name": "name",
            "title": "name",
            "value": "amount",
            "deal_value": "amount",
            "close_date": "expected_close_date",
            "stage": "stage_name",
            "pipeline": "pipeline_name",
            "contact": "contact_email",
            "lost_reason": "lost_reason_name",
            "owner": "owner_email",
        },
        lookups={
            **_CUSTOMER,
            **_CONTACT,
            **_OWNER,
            "pipeline_name": Lookup("pipeline_id", table_of(Pipeline), "name"),
            "stage_name": Lookup("stage_id", table_of(Stage), "name"),
            "lost_reason_name": Lookup("lost_reason_id", table_of(LostReason), "name"),
        },
        match_keys={"external_id": ("external_id",)},
        default_match="external_id",
    ),
    "interactions": EntityImport(
        "interaction",
        INTERACTION_RULES,
        aliases={
            **_CUSTOMER_ALIASES,
            "type": "kind",
            "date": "occurred_at",
            "when": "occurred_at",
            "title": "subject",
            "notes": "summary",
            "body": "summary",
            "description": "summary",
            "contact": "contact_email",
            "user": "user_email",
        },
        lookups={
            **_CUSTOMER,
            **_CONTACT,
            "user_email": Lookup("user_id", users, "email", lower=True),
        },
        # Interactions have no external id: the same kind, time and subject about the same
        # customer and contact is the same interaction.
        match_keys={
            "natural": ("occurred_at", "kind", "subject", "customer_id", "contact_id"),
        },
        default_match="natural",
    ),
    "purchases": EntityImport(
        "purchase",
        PURCHASE_RULES,
        aliases={
            **_CUSTOMER_ALIASES,
            "order_number": "number",
            "invoice_number": "number",
            "date": "ordered_at",
            "order_date": "ordered_at",
            "type": "kind",
        },
        lookups={
            **_CUSTOMER,
            "deal_external_id": Lookup("deal_id", table_of(Deal), "external_id"),
        },
        match_keys={"number": ("number",), "external_id": ("external_id",)},
        default_match="number",
    ),
}
