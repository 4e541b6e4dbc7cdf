"""Consent per contact and purpose: an append-only history, the latest entry in force.

`contacts.marketing_opt_in`, `opt_in_at` and `opt_in_source` mirror the marketing-email consent
in force, whichever way it was given: `recordConsent` or `updateContact(marketingOptIn: ...)`.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.audit import record_audit
from kernel.crud import validation_errors
from kernel.errors import ServiceError
from kernel.inputs import InputModel, ShortText
from kernel.outbox import record_event
from kernel.principal import Principal
from kernel.tables import json_value, row_to_dict, table_of
from models import Consent, ConsentPurpose, Contact, utcnow
from resolvers.privacy.subject import load_contact, refuse_erased

MARKETING_FIELDS = ("marketing_opt_in", "opt_in_at", "opt_in_source")


class ConsentInput(InputModel):
    contact_id: uuid.UUID
    purpose: ConsentPurpose
    granted: bool
    source: ShortText | None = None


def add_consent(
    session: AsyncSession,
    principal: Principal,
    contact_id: uuid.UUID,
    purpose: ConsentPurpose,
    granted: bool,
    source: str | None,
    occurred_at: datetime | None = None,
) -> Consent:
    """Append one entry to the contact's consent history."""
    consent = Consent(
        contact_id=contact_id,
        purpose=purpose,
        granted=granted,
        source=source,
        occurred_at=occurred_at or utcnow(),
        recorded_by=principal.actor,
    )
    session.add(consent)
    return consent


def marketing_fields(granted: bool, source: str | None, when: datetime) -> dict[str, Any]:
    """The contact's opt-in fields for the latest marketing-email consent: its source, and
    its time while it stands (cleared when withdrawn)."""
    return {
        "marketing_opt_in": granted,
        "opt_in_at": when if granted else None,
        "opt_in_source": source,
    }


async def record_consent(
    session: AsyncSession, principal: Principal, data: dict[str, Any]
) -> Consent:
    """Record a grant or withdrawal, emitting `contact.consent_changed`."""
    try:
        values = ConsentInput.model_validate(data)
    except ValidationError as exc:
        raise ServiceError(validation_errors(exc)) from exc
    contact = await load_contact(session, principal, values.contact_id, lock=True)
    refuse_erased(contact)
    consents = table_of(Consent)
    previous = await session.scalar(
        select(consents.c.granted)
        .where(consents.c.contact_id == contact.id, consents.c.purpose == values.purpose)
        .order_by(consents.c.occurred_at.desc(), consents.c.id.desc())
        .limit(1)
    )
    consent = add_consent(
        session, principal, contact.id, values.purpose, values.granted, values.source
    )
    changes: dict[str, Any] = {}
    if values.purpose is ConsentPurpose.MARKETING_EMAIL:
        wanted = marketing_fields(values.granted, values.source, consent.occurred_at)
        for name, value in wanted.items():
            if getattr(contact, name) != value:
                changes[name] = {
                    "old": json_value(getattr(contact, name)),
                    "new": json_value(value),
                }
                setattr(contact, name, value)
    # A consent is part of the contact: its version moves, so receivers order the events.
    contact.version += 1
    contact.updated_at = utcnow()
    session.add(contact)
    await session.flush()
    changes = {
        f"consent.{values.purpose.value}": {"old": previous, "new": values.granted},
        **changes,
    }
    _emit(session, principal, contact, consent, changes)
    return consent


def _emit(
    session: AsyncSession,
    principal: Principal,
    contact: Contact,
    consent: Consent,
    changes: dict[str, Any],
) -> None:
    data = row_to_dict(consent, table_of(Consent))
    record_event(
        session,
        principal,
        "contact.consent_changed",
        "contact",
        contact.id,
        contact.version,
        data,
        changes,
    )
    record_audit(session, principal, "contact.consent_changed", "contact", contact.id, changes)
