"""Customers (accounts) and contacts: validation rules and writes."""

from __future__ import annotations

import uuid
from typing import Annotated

from pydantic import Field, StringConstraints
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.crud import Change, EntityRules
from kernel.errors import ErrorCode, ServiceError
from kernel.inputs import (
    Country,
    Domain,
    Email,
    ExternalId,
    InputModel,
    Name,
    Phone,
    ShortText,
    partial,
)
from kernel.principal import Principal
from models import ConsentPurpose, Contact, CreditStatus, Customer, LifecycleStage, User, utcnow
from models.encryption import phone_hash
from resolvers.privacy.consents import add_consent, marketing_fields


class CustomerCreate(InputModel):
    name: Name
    domain: Domain | None = None
    industry: ShortText | None = None
    employees: int | None = None
    lifecycle_stage: LifecycleStage = LifecycleStage.LEAD
    credit_status: CreditStatus | None = None
    tier: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)] | None
    ) = None
    owner_id: uuid.UUID | None = None
    phone: Phone | None = None
    street: ShortText | None = None
    city: ShortText | None = None
    postal_code: ShortText | None = None
    country: Country | None = None
    # A factory: a mutable default is deep-copied at every validation that omits it.
    tags: list[ShortText] = Field(default_factory=list)
    external_id: ExternalId | None = None


class ContactCreate(InputModel):
    customer_id: uuid.UUID | None = None
    first_name: ShortText = ""
    last_name: ShortText = ""
    email: Email | None = None
    phone: Phone | None = None
    title: ShortText | None = None
    owner_id: uuid.UUID | None = None
    marketing_opt_in: bool = False
    opt_in_source: ShortText | None = None
    external_id: ExternalId | None = None


async def _check_customer(
    session: AsyncSession, principal: Principal, change: Change[Customer]
) -> None:
    if (employees := change.values.get("employees")) is not None and employees < 0:
        raise ServiceError.single(ErrorCode.VALIDATION, "must not be negative", "employees")


async def _check_contact(
    session: AsyncSession, principal: Principal, change: Change[Contact]
) -> None:
    row, values = change.row, change.values
    if row.erased_at is not None:
        raise ServiceError.single(
            ErrorCode.INVALID_STATE, "this contact's personal data was erased", "id"
        )
    first = values.get("first_name", row.first_name or "")
    last = values.get("last_name", row.last_name or "")
    if not (first or last):
        raise ServiceError.single(
            ErrorCode.VALIDATION, "a contact needs a first or a last name", "last_name"
        )
    # The opt-in mirrors the marketing-email consent: time and source of the latest change.
    if "marketing_opt_in" in values:
        granted = values["marketing_opt_in"]
        values.update(marketing_fields(granted, values.get("opt_in_source"), utcnow()))
    if "phone" in values:
        values["phone_hash"] = phone_hash(values["phone"])


async def _record_marketing_consent(
    session: AsyncSession, principal: Principal, change: Change[Contact]
) -> None:
    """An opt-in given or withdrawn through the contact enters the consent history too."""
    row = change.row
    if "marketing_opt_in" not in change.values or (change.created and not row.marketing_opt_in):
        return
    add_consent(
        session,
        principal,
        row.id,
        ConsentPurpose.MARKETING_EMAIL,
        row.marketing_opt_in,
        row.opt_in_source,
        row.opt_in_at,
    )


CUSTOMER_RULES = EntityRules(
    model=Customer,
    entity="customer",
    create_input=CustomerCreate,
    update_input=partial(CustomerCreate, "CustomerUpdate"),
    references={"owner_id": User},
    before_write=_check_customer,
)

CONTACT_RULES = EntityRules(
    model=Contact,
    entity="contact",
    create_input=ContactCreate,
    update_input=partial(ContactCreate, "ContactUpdate"),
    references={"customer_id": Customer, "owner_id": User},
    before_write=_check_contact,
    after_write=_record_marketing_consent,
)
