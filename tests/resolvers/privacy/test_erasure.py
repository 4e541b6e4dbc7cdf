"""Erasure anonymizes a person everywhere: no table keeps their name, email or phone."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import JSON, String, Text, cast, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import SQLModel

from kernel.errors import ErrorCode, ServiceError
from kernel.principal import SYSTEM
from kernel.unit_of_work import unit_of_work
from models import AuditEntry, Contact, Deal, Event, Purchase
from models.encryption import EncryptedText
from resolvers.privacy.erasure import erase_personal_data
from tests.factories import gid

FIRST, LAST = "Zorbulon", "Quexley"
EMAIL = "zorbulon.quexley@erase-me.example"
PHONE = "+44 7700 900461"
NEEDLES = (FIRST, LAST, EMAIL, PHONE)

UPDATE_CONTACT = """mutation($id: ID!, $input: UpdateContactInput!) {
  updateContact(id: $id, input: $input) { errors { code } } }"""
RECORD_CONSENT = """mutation($input: RecordConsentInput!) {
  recordConsent(input: $input) { errors { code } } }"""
ERASE = """mutation($id: ID!) { erasePersonalData(contactId: $id) {
  contact { firstName lastName email phone erasedAt } errors { code field } } }"""


async def _text_values(session: AsyncSession) -> list[tuple[str, str]]:
    """(table.column, value) of every text and JSON column of every table, as stored and,
    for encrypted columns, decrypted."""
    found = []
    for table in SQLModel.metadata.sorted_tables:
        for column in table.columns:
            if not isinstance(column.type, String | Text | JSON | EncryptedText):
                continue
            stored = cast(column, Text) if isinstance(column.type, JSON) else column
            if isinstance(column.type, EncryptedText):
                raw = (await session.execute(select(cast(column, Text)))).scalars().all()
                found += [(f"{table.name}.{column.name} (stored)", value) for value in raw]
            values = (await session.execute(select(stored))).scalars().all()
            found += [(f"{table.name}.{column.name}", value) for value in values]
    return [(name, value) for name, value in found if value is not None]


async def _plant_person(gql: Any, make: Any) -> dict[str, Any]:
    """A contact whose name, email and phone spread, through normal writes, into interactions,
    tickets, comments, consents, a campaign membership, events and audit entries."""
    await make.pipeline()
    customer = await make.customer(name="Acme")
    contact = await make.contact(
        customer_id=customer.id, first_name=FIRST, last_name=LAST, email=EMAIL, phone=PHONE
    )
    contact_gid = gid("Contact", contact)
    await gql(
        UPDATE_CONTACT,
        {
            "id": contact_gid,
            "input": {
                "title": f"Head of {LAST} Labs",
                "marketingOptIn": True,
                "optInSource": f"form signed by {EMAIL}",
            },
        },
    )
    await gql(
        RECORD_CONSENT,
        {
            "input": {
                "contactId": contact_gid,
                "purpose": "MARKETING_PHONE",
                "granted": True,
                "source": f"call to {PHONE}",
            }
        },
    )
    await make.interaction(
        contact_id=contact.id,
        subject=f"Call with {FIRST} {LAST}",
        summary=f"{FIRST} asked us to use {EMAIL} or {PHONE}",
    )
    # Not linked to the person, but quoting their email.
    await make.interaction(
        customer_id=customer.id, subject=f"Forwarded by {EMAIL}", summary=f"Call {PHONE}"
    )
    ticket = await make.ticket(
        contact_id=contact.id,
        subject=f"{LAST} cannot sign in",
        description=f"Reply to {EMAIL}, or call {PHONE}",
    )
    await make.comment(ticket_id=ticket.id, body=f"Called {FIRST} on {PHONE}")
    campaign = await make.campaign()
    await make.member(campaign_id=campaign.id, contact_id=contact.id)
    deal = await make.deal(
        customer_id=customer.id, contact_id=contact.id, name="Renewal", amount=Decimal(5000)
    )
    purchase = await make.purchase(customer_id=customer.id)
    return {"contact": contact, "gid": contact_gid, "deal": deal, "purchase": purchase}


async def test_erasure_leaves_no_trace_in_any_text_or_json_column(
    gql: Any, make: Any, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    # given
    planted = await _plant_person(gql, make)
    async with session_factory() as session:
        before = await _text_values(session)
    assert {name for name, value in before if EMAIL in value} >= {
        "contacts.email",
        "events.payload",
        "audit_log.changes",
        "interactions.subject",
        "interactions.summary",
        "tickets.description",
    }

    # when
    data = await gql(ERASE, {"id": planted["gid"]})

    # then
    assert data["erasePersonalData"]["errors"] == []
    async with session_factory() as session:
        after = await _text_values(session)
    leaks = [
        (name, value)
        for name, value in after
        if any(needle.lower() in value.lower() for needle in NEEDLES)
    ]
    assert leaks == []


async def test_erased_contact_keeps_its_id_with_anonymous_fields(gql: Any, make: Any) -> None:
    planted = await _plant_person(gql, make)

    data = await gql(ERASE, {"id": planted["gid"]})

    contact = data["erasePersonalData"]["contact"]
    assert {key: contact[key] for key in ("firstName", "lastName", "email", "phone")} == {
        "firstName": "Erased",
        "lastName": "",
        "email": None,
        "phone": None,
    }
    assert contact["erasedAt"] is not None


async def test_erasure_keeps_deal_amounts_and_purchase_totals(
    gql: Any, make: Any, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    planted = await _plant_person(gql, make)

    await gql(ERASE, {"id": planted["gid"]})

    async with session_factory() as session:
        deal = await session.get(Deal, planted["deal"].id)
        purchase = await session.get(Purchase, planted["purchase"].id)
    assert deal is not None
    assert purchase is not None
    assert (deal.amount, deal.contact_id) == (Decimal(5000), planted["contact"].id)
    assert purchase.total_amount == planted["purchase"].total_amount


async def test_erasure_emits_an_event_with_ids_only(
    gql: Any, make: Any, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    planted = await _plant_person(gql, make)
    contact = planted["contact"]

    await gql(ERASE, {"id": planted["gid"]})

    async with session_factory() as session:
        event = await session.scalar(select(Event).where(Event.type == "contact.erased"))  # type: ignore[arg-type]
    assert event is not None
    assert (event.entity_type, event.entity_id) == ("contact", contact.id)
    assert event.payload == {
        "object": {"id": str(contact.id), "customer_id": str(contact.customer_id)}
    }


async def test_erasure_is_audited_with_counts_not_personal_data(
    gql: Any, make: Any, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    planted = await _plant_person(gql, make)

    await gql(ERASE, {"id": planted["gid"]})

    async with session_factory() as session:
        entry = await session.scalar(
            select(AuditEntry).where(AuditEntry.action == "contact.erased")  # type: ignore[arg-type]
        )
    assert entry is not None
    assert entry.entity_id == planted["contact"].id
    assert entry.changes is not None
    redacted = dict(entry.changes["redacted"])
    assert (redacted.pop("events") > 0, redacted.pop("audit_log") > 0) == (True, True)
    assert redacted == {"interactions": 2, "tickets": 1, "ticket_comments": 1, "consents": 2}
    assert not any(needle in json.dumps(entry.changes) for needle in NEEDLES)


async def test_erasing_an_erased_contact_is_refused(
    make: Any, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    contact = await make.contact(first_name=FIRST, last_name=LAST)
    async with unit_of_work(session_factory) as session:
        await erase_personal_data(session, SYSTEM, contact.id)

    with pytest.raises(ServiceError) as refused:
        async with unit_of_work(session_factory) as session:
            await erase_personal_data(session, SYSTEM, contact.id)

    assert [(e.code, e.field) for e in refused.value.errors] == [
        (ErrorCode.INVALID_STATE, ("contactId",))
    ]


async def test_an_erased_contact_cannot_be_updated(gql: Any, make: Any) -> None:
    contact = await make.contact(first_name=FIRST, last_name=LAST)
    await gql(ERASE, {"id": gid("Contact", contact)})

    data = await gql(
        """mutation($id: ID!) { updateContact(id: $id, input: {firstName: "Back"}) {
        errors { code } } }""",
        {"id": gid("Contact", contact)},
    )

    assert data["updateContact"]["errors"] == [{"code": "INVALID_STATE"}]


async def test_erasure_of_an_unknown_contact_is_not_found(gql: Any) -> None:
    data = await gql(ERASE, {"id": gid("Contact", Contact())})

    assert data["erasePersonalData"]["errors"] == [{"code": "NOT_FOUND", "field": ["contactId"]}]
