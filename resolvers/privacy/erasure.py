"""Right to erasure (GDPR art. 17): anonymize one person everywhere, keep business aggregates.

Names, email and phone are replaced in every text that concerns the person (their
interactions, tickets and comments, and any such text naming their email or phone), consent
sources are cleared, and the outbox and audit log keep their entries with the personal values
redacted. Deals, purchases and campaign memberships stay: without the person they are anonymous.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Table, Text, cast, false, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.audit import record_audit
from kernel.outbox import record_event
from kernel.principal import Principal
from kernel.tables import json_value, table_of
from models import AuditEntry, Consent, Contact, Event, Interaction, Ticket, TicketComment, utcnow
from models.encryption import normalize_phone
from resolvers.privacy.export import concerning, related_ids
from resolvers.privacy.subject import load_contact, refuse_erased

ERASED = "[erased]"
ERASED_NAME = "Erased"
# Keys whose values, in a payload about the contact itself, are personal data.
PERSONAL_KEYS = frozenset(
    {
        "first_name",
        "last_name",
        "email",
        "phone",
        "phone_hash",
        "title",
        "external_id",
        "opt_in_source",
        "source",
    }
)
# Free-text columns that may quote a person, besides what is linked to them.
TEXT_COLUMNS: dict[Any, tuple[str, ...]] = {
    Interaction: ("subject", "summary"),
    Ticket: ("subject", "description"),
    TicketComment: ("body",),
}
# Of those, the ones the database can search (encrypted columns cannot be).
SEARCHABLE: dict[Any, tuple[str, ...]] = {
    Interaction: ("subject",),
    Ticket: ("subject", "description"),
    TicketComment: ("body",),
}


@dataclass(frozen=True)
class Redactor:
    """Replaces a person's identifiers in text and JSON."""

    patterns: tuple[re.Pattern[str], ...]

    @classmethod
    def for_contact(cls, contact: Contact) -> Redactor:
        literals = [contact.email, f"{contact.first_name} {contact.last_name}".strip()]
        patterns = [re.compile(re.escape(text), re.IGNORECASE) for text in literals if text]
        if contact.phone:
            # The number however it is written: "+49 170 555", "+49170555", "0049-170-555"...
            digits = normalize_phone(contact.phone).lstrip("+")
            patterns.append(re.compile(r"[\s().\/-]*".join(map(re.escape, digits))))
        for name in (contact.first_name, contact.last_name):
            if len(name) > 1:
                patterns.append(re.compile(rf"\b{re.escape(name)}\b", re.IGNORECASE))
        return cls(tuple(patterns))

    def text(self, value: str) -> str:
        for pattern in self.patterns:
            value = pattern.sub(ERASED, value)
        return value

    def json(self, value: Any, personal: bool = False) -> Any:
        """``value`` with identifiers replaced; with ``personal``, every value under a
        personal key is replaced (nulls stay null), keys are kept."""
        if isinstance(value, dict):
            return {
                key: self.json(item, personal)
                if not (personal and key in PERSONAL_KEYS)
                else _blank(item)
                for key, item in value.items()
            }
        if isinstance(value, list):
            return [self.json(item, personal) for item in value]
        if isinstance(value, str):
            return self.text(value)
        return value


def _blank(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _blank(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_blank(item) for item in value]
    return None if value is None else ERASED


def _mentions(column: Any, terms: Sequence[str]) -> ColumnElement[bool]:
    return or_(false(), *(column.icontains(term, autoescape=True) for term in terms))


async def _redact_texts(
    session: AsyncSession,
    redactor: Redactor,
    ids: dict[str, list[uuid.UUID]],
    terms: Sequence[str],
) -> dict[str, int]:
    """Replace the person's identifiers in linked texts and in texts quoting their email or
    phone; returns how many rows changed per table."""
    linked: dict[Any, list[uuid.UUID]] = {
        Interaction: ids["interaction"],
        Ticket: ids["ticket"],
        TicketComment: ids["ticket_comment"],
    }
    counts: dict[str, int] = {}
    for model, columns in TEXT_COLUMNS.items():
        table = table_of(model)
        quoting = [_mentions(table.c[name], terms) for name in SEARCHABLE[model]]
        statement = select(model).where(or_(table.c.id.in_(linked[model]), *quoting))
        changed = 0
        for row in (await session.scalars(statement)).all():
            before = {name: getattr(row, name) for name in columns}
            after = {
                name: None if value is None else redactor.text(value)
                for name, value in before.items()
            }
            if after != before:
                for name, value in after.items():
                    setattr(row, name, value)
                row.version += 1
                row.updated_at = utcnow()
                changed += 1
        counts[table.name] = changed
    await session.flush()
    return counts


async def _redact_log(
    session: AsyncSession,
    table: Table,
    column: str,
    redactor: Redactor,
    contact_id: uuid.UUID,
    ids: dict[str, list[uuid.UUID]],
    terms: Sequence[str],
) -> int:
    """Redact the JSON of outbox events or audit entries about the person or quoting them."""
    statement = select(table.c.position, table.c.entity_type, table.c.entity_id, table.c[column])
    statement = statement.where(
        or_(concerning(table, ids), _mentions(cast(table.c[column], Text), terms))
    )
    changed = 0
    for row in (await session.execute(statement)).all():
        value = row[3]
        about_contact = row.entity_type == "contact" and row.entity_id == contact_id
        redacted = redactor.json(value, personal=about_contact)
        if redacted != value:
            await session.execute(
                update(table).where(table.c.position == row.position).values({column: redacted})
            )
            changed += 1
    return changed


def _anonymize(contact: Contact) -> None:
    contact.first_name = ERASED_NAME
    contact.last_name = ""
    for name in (
        "email",
        "phone",
        "phone_hash",
        "title",
        "external_id",
        "opt_in_at",
        "opt_in_source",
    ):
        setattr(contact, name, None)
    contact.marketing_opt_in = False
    contact.erased_at = contact.updated_at = utcnow()
    contact.version += 1


async def erase_personal_data(
    session: AsyncSession, principal: Principal, contact_id: uuid.UUID
) -> Contact:
    """Anonymize the person, recording `contact.erased` (ids and counts only)."""
    contact = await load_contact(session, principal, contact_id, lock=True)
    refuse_erased(contact)
    redactor = Redactor.for_contact(contact)
    terms = [term for term in (contact.email, contact.phone) if term]
    ids = await related_ids(session, contact_id)
    counts = await _redact_texts(session, redactor, ids, terms)
    consents = table_of(Consent)
    cleared = await session.execute(
        update(consents).where(consents.c.contact_id == contact_id).values(source=None)
    )
    counts[consents.name] = cleared.rowcount  # type: ignore[attr-defined]
    for model, column in ((Event, "payload"), (AuditEntry, "changes")):
        table = table_of(model)
        counts[table.name] = await _redact_log(
            session, table, column, redactor, contact_id, ids, terms
        )
    _anonymize(contact)
    session.add(contact)
    await session.flush()
    reference = {"id": str(contact.id), "customer_id": json_value(contact.customer_id)}
    record_event(
        session, principal, "contact.erased", "contact", contact.id, contact.version, reference
    )
    audit = {"erased_at": {"old": None, "new": json_value(contact.erased_at)}, "redacted": counts}
    record_audit(session, principal, "contact.erased", "contact", contact.id, audit)
    return contact
