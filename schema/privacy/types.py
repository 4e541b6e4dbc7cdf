"""Privacy tools (privacy:manage): record consent, export and erase a person's data."""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import datetime

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.scalars import JSON

import models
from kernel.errors import InvalidArgumentError
from kernel.permissions import Scope
from kernel.principal import Principal
from resolvers.privacy import consents as consent_service
from resolvers.privacy import erasure
from resolvers.privacy.export import export_personal_data
from schema.connections import lazy, resolve_node
from schema.context import Info
from schema.errors import UserError, bad_input
from schema.ids import decode_id_of
from schema.permissions import can_write, requires
from schema.privacy.consents import Consent, ConsentPurpose
from schema.services import node_pk, run_service

# Contacts show their consents (this package): the contact side is resolved lazily.
ContactT = lazy("Contact", "schema.customers.types")

CAN_MANAGE = [requires(Scope.PRIVACY_MANAGE)]


@strawberry.input(description="A consent given or withdrawn by a contact.")
class RecordConsentInput:
    contact_id: strawberry.ID
    purpose: ConsentPurpose
    granted: bool = strawberry.field(description="True when given, false when withdrawn.")
    source: str | None = strawberry.field(
        default=None, description='How it was given or withdrawn, e.g. "web form".'
    )


@strawberry.type(description="The consent as recorded, or the errors that stopped it.")
class RecordConsentPayload:
    consent: Consent | None
    errors: list[UserError]


@strawberry.type(description="The anonymized contact, or why nothing was erased.")
class ErasePersonalDataPayload:
    contact: ContactT | None
    errors: list[UserError]


@strawberry.type(description="Everything held about one person (GDPR right of access).")
class PersonalDataExport:
    contact_id: strawberry.ID
    generated_at: datetime
    document: JSON = strawberry.field(
        description="contact, customer, interactions, tickets (with comments), campaign "
        "memberships, consents, deals, events and audit entries about them."
    )


@strawberry.type
class PrivacyMutation:
    @strawberry.mutation(
        description="Record a consent given or withdrawn. The marketing-email consent also "
        "sets the contact's `marketingOptIn`.",
        permission_classes=can_write("contact"),
    )
    async def record_consent(self, info: Info, input: RecordConsentInput) -> RecordConsentPayload:
        def action(session: AsyncSession, principal: Principal) -> Awaitable[models.Consent]:
            data = {
                "contact_id": node_pk(input.contact_id, "Contact", "contact_id"),
                "purpose": input.purpose,
                "granted": input.granted,
                "source": input.source,
            }
            return consent_service.record_consent(session, principal, data)

        result = await run_service(info, action)
        if isinstance(result, list):
            return RecordConsentPayload(consent=None, errors=result)
        return RecordConsentPayload(consent=Consent.from_row(result), errors=[])

    @strawberry.mutation(
        description="Anonymize a contact everywhere (GDPR right to erasure): names, email and "
        "phone in every record, event and audit entry about them. Deal amounts and purchases "
        "stay. Emits `contact.erased`. Refused (INVALID_STATE) when already erased.",
        permission_classes=CAN_MANAGE,
    )
    async def erase_personal_data(
        self, info: Info, contact_id: strawberry.ID
    ) -> ErasePersonalDataPayload:
        result = await run_service(
            info,
            lambda s, p: erasure.erase_personal_data(
                s, p, node_pk(contact_id, "Contact", "contactId")
            ),
            at=(),
        )
        if isinstance(result, list):
            return ErasePersonalDataPayload(contact=None, errors=result)
        return ErasePersonalDataPayload(contact=resolve_node(ContactT).from_row(result), errors=[])


async def resolve_export(info: Info, contact_id: strawberry.ID) -> PersonalDataExport | None:
    try:
        pk = decode_id_of(contact_id, "Contact", "contactId")
    except InvalidArgumentError as exc:
        raise bad_input(exc) from exc
    result = await run_service(info, lambda s, p: export_personal_data(s, p, pk), at=())
    if isinstance(result, list):
        return None  # as if it did not exist
    return PersonalDataExport(
        contact_id=contact_id,
        generated_at=datetime.fromisoformat(result["generated_at"]),
        document=JSON(result),
    )


EXPORT_PERSONAL_DATA = strawberry.field(
    resolver=resolve_export,
    permission_classes=CAN_MANAGE,
    description="Everything held about a contact, as one JSON document (privacy:manage); "
    "null if there is no such contact. The export is audited.",
)
