"""Privacy tools (privacy:manage): record consent, export and erase a person's data."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, TypeVar

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.scalars import JSON

from kernel.errors import ErrorCode, InvalidArgumentError, ServiceError
from kernel.permissions import Scope
from kernel.principal import Principal
from kernel.unit_of_work import unit_of_work
from resolvers.privacy.consents import record_consent
from resolvers.privacy.erasure import erase_personal_data
from resolvers.privacy.export import export_personal_data
from schema.context import Info
from schema.customers.types import Contact
from schema.errors import UserError, bad_input, user_errors
from schema.ids import decode_id_of
from schema.permissions import can_write, requires
from schema.privacy.consents import Consent, ConsentPurpose

T = TypeVar("T")
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
    contact: Contact | None
    errors: list[UserError]


@strawberry.type(description="Everything held about one person (GDPR right of access).")
class PersonalDataExport:
    contact_id: strawberry.ID
    generated_at: datetime
    document: JSON = strawberry.field(
        description="contact, customer, interactions, tickets (with comments), campaign "
        "memberships, consents, deals, events and audit entries about them."
    )


def _contact_pk(global_id: str, argument: str) -> Any:
    try:
        return decode_id_of(global_id, "Contact", argument)
    except InvalidArgumentError as exc:
        raise ServiceError.single(ErrorCode.NOT_FOUND, str(exc), argument) from exc


async def _run(
    info: Info,
    action: Callable[[AsyncSession, Principal], Awaitable[T]],
    prefix: tuple[str, ...] = ("input",),
) -> T | list[UserError]:
    try:
        async with unit_of_work(info.context.session_factory) as session:
            return await action(session, info.context.principal)
    except ServiceError as exc:
        return user_errors(exc.errors, prefix)


async def record_consent_mutation(info: Info, input: RecordConsentInput) -> RecordConsentPayload:
    def action(session: AsyncSession, principal: Principal) -> Awaitable[Any]:
        data = {
            "contact_id": _contact_pk(input.contact_id, "contact_id"),
            "purpose": input.purpose,
            "granted": input.granted,
            "source": input.source,
        }
        return record_consent(session, principal, data)

    result = await _run(info, action)
    if isinstance(result, list):
        return RecordConsentPayload(consent=None, errors=result)
    return RecordConsentPayload(consent=Consent.from_row(result), errors=[])


async def erase_personal_data_mutation(
    info: Info, contact_id: strawberry.ID
) -> ErasePersonalDataPayload:
    result = await _run(
        info,
        lambda s, p: erase_personal_data(s, p, _contact_pk(contact_id, "contactId")),
        prefix=(),
    )
    if isinstance(result, list):
        return ErasePersonalDataPayload(contact=None, errors=result)
    return ErasePersonalDataPayload(contact=Contact.from_row(result), errors=[])


async def resolve_export(info: Info, contact_id: strawberry.ID) -> PersonalDataExport | None:
    try:
        pk = decode_id_of(contact_id, "Contact", "contactId")
    except InvalidArgumentError as exc:
        raise bad_input(exc) from exc
    result = await _run(info, lambda s, p: export_personal_data(s, p, pk), prefix=())
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

PRIVACY_MUTATIONS: dict[str, Any] = {
    "record_consent": strawberry.mutation(
        resolver=record_consent_mutation,
        permission_classes=can_write("contact"),
        description="Record a consent given or withdrawn. The marketing-email consent also "
        "sets the contact's `marketingOptIn`.",
    ),
    "erase_personal_data": strawberry.mutation(
        resolver=erase_personal_data_mutation,
        permission_classes=CAN_MANAGE,
        description="Anonymize a contact everywhere (GDPR right to erasure): names, email and "
        "phone in every record, event and audit entry about them. Deal amounts and purchases "
        "stay. Emits `contact.erased`. Refused (INVALID_STATE) when already erased.",
    ),
}
