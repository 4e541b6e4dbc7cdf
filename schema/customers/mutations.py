"""Writing customers, contacts, interactions and purchases: create, update, trash, restore and
batch upsert by `externalId`."""

from __future__ import annotations

import strawberry

import models
from resolvers.customers.interactions import INTERACTION_RULES
from resolvers.customers.purchases import PURCHASE_RULES
from resolvers.customers.service import CONTACT_RULES, CUSTOMER_RULES
from schema.context import Info
from schema.customers.inputs import (
    CreateContactInput,
    CreateCustomerInput,
    CreateInteractionInput,
    CreatePurchaseInput,
    UpdateContactInput,
    UpdateCustomerInput,
    UpdateInteractionInput,
    UpdatePurchaseInput,
)
from schema.customers.interactions import Interaction
from schema.customers.purchases import Purchase
from schema.customers.types import Contact, Customer
from schema.errors import UserError
from schema.mutations import MAX_BATCH, create_row, set_row_deleted, update_row, upsert_rows
from schema.permissions import can_write

WRITE_CUSTOMER = can_write(CUSTOMER_RULES.entity)
WRITE_CONTACT = can_write(CONTACT_RULES.entity)
WRITE_INTERACTION = can_write(INTERACTION_RULES.entity)
WRITE_PURCHASE = can_write(PURCHASE_RULES.entity)


@strawberry.type(description="The Customer as written, or the errors that stopped the write.")
class CustomerPayload:
    customer: Customer | None
    errors: list[UserError]


@strawberry.type(
    description="One record of a batch upsert: the Customer written, or why it was not."
)
class CustomerUpsertResult:
    index: int
    created: bool
    customer: Customer | None
    errors: list[UserError]


def _customer_payload(result: models.Customer | list[UserError]) -> CustomerPayload:
    if isinstance(result, list):
        return CustomerPayload(customer=None, errors=result)
    return CustomerPayload(customer=Customer.from_row(result), errors=[])


@strawberry.type(description="The Contact as written, or the errors that stopped the write.")
class ContactPayload:
    contact: Contact | None
    errors: list[UserError]


@strawberry.type(
    description="One record of a batch upsert: the Contact written, or why it was not."
)
class ContactUpsertResult:
    index: int
    created: bool
    contact: Contact | None
    errors: list[UserError]


def _contact_payload(result: models.Contact | list[UserError]) -> ContactPayload:
    if isinstance(result, list):
        return ContactPayload(contact=None, errors=result)
    return ContactPayload(contact=Contact.from_row(result), errors=[])


@strawberry.type(description="The Interaction as written, or the errors that stopped the write.")
class InteractionPayload:
    interaction: Interaction | None
    errors: list[UserError]


def _interaction_payload(result: models.Interaction | list[UserError]) -> InteractionPayload:
    if isinstance(result, list):
        return InteractionPayload(interaction=None, errors=result)
    return InteractionPayload(interaction=Interaction.from_row(result), errors=[])


@strawberry.type(description="The Purchase as written, or the errors that stopped the write.")
class PurchasePayload:
    purchase: Purchase | None
    errors: list[UserError]


@strawberry.type(
    description="One record of a batch upsert: the Purchase written, or why it was not."
)
class PurchaseUpsertResult:
    index: int
    created: bool
    purchase: Purchase | None
    errors: list[UserError]


def _purchase_payload(result: models.Purchase | list[UserError]) -> PurchasePayload:
    if isinstance(result, list):
        return PurchasePayload(purchase=None, errors=result)
    return PurchasePayload(purchase=Purchase.from_row(result), errors=[])


@strawberry.type
class CustomerMutation:
    @strawberry.mutation(description="Create a Customer.", permission_classes=WRITE_CUSTOMER)
    async def create_customer(self, info: Info, input: CreateCustomerInput) -> CustomerPayload:
        return _customer_payload(await create_row(info, CUSTOMER_RULES, input))

    @strawberry.mutation(
        description="Change the given fields of a Customer. With `expectedVersion`, refuse with "
        "CONFLICT if it was changed meanwhile.",
        permission_classes=WRITE_CUSTOMER,
    )
    async def update_customer(
        self,
        info: Info,
        id: strawberry.ID,
        input: UpdateCustomerInput,
        expected_version: int | None = None,
    ) -> CustomerPayload:
        return _customer_payload(
            await update_row(info, CUSTOMER_RULES, "Customer", id, input, expected_version)
        )

    @strawberry.mutation(
        description="Move a Customer to the trash (restorable).", permission_classes=WRITE_CUSTOMER
    )
    async def delete_customer(
        self, info: Info, id: strawberry.ID, expected_version: int | None = None
    ) -> CustomerPayload:
        return _customer_payload(
            await set_row_deleted(info, CUSTOMER_RULES, "Customer", id, True, expected_version)
        )

    @strawberry.mutation(
        description="Bring a Customer back from the trash.", permission_classes=WRITE_CUSTOMER
    )
    async def restore_customer(self, info: Info, id: strawberry.ID) -> CustomerPayload:
        return _customer_payload(await set_row_deleted(info, CUSTOMER_RULES, "Customer", id, False))

    @strawberry.mutation(
        description=f"Create or update up to {MAX_BATCH} Customers by `externalId`. Each record "
        "succeeds or fails on its own; a failed record changes nothing.",
        permission_classes=WRITE_CUSTOMER,
    )
    async def upsert_customers(
        self, info: Info, inputs: list[CreateCustomerInput]
    ) -> list[CustomerUpsertResult]:
        return [
            CustomerUpsertResult(
                index=outcome.index,
                created=outcome.created,
                customer=Customer.from_optional(outcome.row),
                errors=outcome.errors,
            )
            for outcome in await upsert_rows(info, CUSTOMER_RULES, inputs)
        ]

    @strawberry.mutation(description="Create a Contact.", permission_classes=WRITE_CONTACT)
    async def create_contact(self, info: Info, input: CreateContactInput) -> ContactPayload:
        return _contact_payload(await create_row(info, CONTACT_RULES, input))

    @strawberry.mutation(
        description="Change the given fields of a Contact. With `expectedVersion`, refuse with "
        "CONFLICT if it was changed meanwhile.",
        permission_classes=WRITE_CONTACT,
    )
    async def update_contact(
        self,
        info: Info,
        id: strawberry.ID,
        input: UpdateContactInput,
        expected_version: int | None = None,
    ) -> ContactPayload:
        return _contact_payload(
            await update_row(info, CONTACT_RULES, "Contact", id, input, expected_version)
        )

    @strawberry.mutation(
        description="Move a Contact to the trash (restorable).", permission_classes=WRITE_CONTACT
    )
    async def delete_contact(
        self, info: Info, id: strawberry.ID, expected_version: int | None = None
    ) -> ContactPayload:
        return _contact_payload(
            await set_row_deleted(info, CONTACT_RULES, "Contact", id, True, expected_version)
        )

    @strawberry.mutation(
        description="Bring a Contact back from the trash.", permission_classes=WRITE_CONTACT
    )
    async def restore_contact(self, info: Info, id: strawberry.ID) -> ContactPayload:
        return _contact_payload(await set_row_deleted(info, CONTACT_RULES, "Contact", id, False))

    @strawberry.mutation(
        description=f"Create or update up to {MAX_BATCH} Contacts by `externalId`. Each record "
        "succeeds or fails on its own; a failed record changes nothing.",
        permission_classes=WRITE_CONTACT,
    )
    async def upsert_contacts(
        self, info: Info, inputs: list[CreateContactInput]
    ) -> list[ContactUpsertResult]:
        return [
            ContactUpsertResult(
                index=outcome.index,
                created=outcome.created,
                contact=Contact.from_optional(outcome.row),
                errors=outcome.errors,
            )
            for outcome in await upsert_rows(info, CONTACT_RULES, inputs)
        ]

    @strawberry.mutation(description="Create a Interaction.", permission_classes=WRITE_INTERACTION)
    async def create_interaction(
        self, info: Info, input: CreateInteractionInput
    ) -> InteractionPayload:
        return _interaction_payload(await create_row(info, INTERACTION_RULES, input))

    @strawberry.mutation(
        description="Change the given fields of a Interaction. With `expectedVersion`, refuse "
        "with CONFLICT if it was changed meanwhile.",
        permission_classes=WRITE_INTERACTION,
    )
    async def update_interaction(
        self,
        info: Info,
        id: strawberry.ID,
        input: UpdateInteractionInput,
        expected_version: int | None = None,
    ) -> InteractionPayload:
        return _interaction_payload(
            await update_row(info, INTERACTION_RULES, "Interaction", id, input, expected_version)
        )

    @strawberry.mutation(
        description="Move a Interaction to the trash (restorable).",
        permission_classes=WRITE_INTERACTION,
    )
    async def delete_interaction(
        self, info: Info, id: strawberry.ID, expected_version: int | None = None
    ) -> InteractionPayload:
        return _interaction_payload(
            await set_row_deleted(
                info, INTERACTION_RULES, "Interaction", id, True, expected_version
            )
        )

    @strawberry.mutation(
        description="Bring a Interaction back from the trash.", permission_classes=WRITE_INTERACTION
    )
    async def restore_interaction(self, info: Info, id: strawberry.ID) -> InteractionPayload:
        return _interaction_payload(
            await set_row_deleted(info, INTERACTION_RULES, "Interaction", id, False)
        )

    @strawberry.mutation(description="Create a Purchase.", permission_classes=WRITE_PURCHASE)
    async def create_purchase(self, info: Info, input: CreatePurchaseInput) -> PurchasePayload:
        return _purchase_payload(await create_row(info, PURCHASE_RULES, input))

    @strawberry.mutation(
        description="Change the given fields of a Purchase. With `expectedVersion`, refuse with "
        "CONFLICT if it was changed meanwhile.",
        permission_classes=WRITE_PURCHASE,
    )
    async def update_purchase(
        self,
        info: Info,
        id: strawberry.ID,
        input: UpdatePurchaseInput,
        expected_version: int | None = None,
    ) -> PurchasePayload:
        return _purchase_payload(
            await update_row(info, PURCHASE_RULES, "Purchase", id, input, expected_version)
        )

    @strawberry.mutation(
        description="Move a Purchase to the trash (restorable).", permission_classes=WRITE_PURCHASE
    )
    async def delete_purchase(
        self, info: Info, id: strawberry.ID, expected_version: int | None = None
    ) -> PurchasePayload:
        return _purchase_payload(
            await set_row_deleted(info, PURCHASE_RULES, "Purchase", id, True, expected_version)
        )

    @strawberry.mutation(
        description="Bring a Purchase back from the trash.", permission_classes=WRITE_PURCHASE
    )
    async def restore_purchase(self, info: Info, id: strawberry.ID) -> PurchasePayload:
        return _purchase_payload(await set_row_deleted(info, PURCHASE_RULES, "Purchase", id, False))

    @strawberry.mutation(
        description=f"Create or update up to {MAX_BATCH} Purchases by `externalId`. Each record "
        "succeeds or fails on its own; a failed record changes nothing.",
        permission_classes=WRITE_PURCHASE,
    )
    async def upsert_purchases(
        self, info: Info, inputs: list[CreatePurchaseInput]
    ) -> list[PurchaseUpsertResult]:
        return [
            PurchaseUpsertResult(
                index=outcome.index,
                created=outcome.created,
                purchase=Purchase.from_optional(outcome.row),
                errors=outcome.errors,
            )
            for outcome in await upsert_rows(info, PURCHASE_RULES, inputs)
        ]
