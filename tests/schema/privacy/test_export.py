"""The export holds everything about the person, and nothing about anyone else."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from tests.factories import gid

EXPORT = """query($id: ID!) { exportPersonalData(contactId: $id) { contactId document } }"""


@pytest.fixture
async def exported(gql: Any, make: Any) -> dict[str, Any]:
    """The export of a contact with one record of every kind, next to another contact's."""
    await make.pipeline()
    customer = await make.customer(name="Acme")
    contact = await make.contact(
        customer_id=customer.id, first_name="Ada", last_name="Lovelace", phone="+44 20 7946"
    )
    other = await make.contact(customer_id=customer.id, first_name="Other")
    await make.consent(contact_id=contact.id, source="web form")
    await make.consent(contact_id=contact.id, purpose="profiling", granted=False)
    await make.interaction(contact_id=contact.id, subject="Intro call", summary="Likes engines")
    await make.interaction(contact_id=other.id, subject="Not hers")
    ticket = await make.ticket(contact_id=contact.id, subject="Broken loom")
    await make.comment(ticket_id=ticket.id, body="On it")
    campaign = await make.campaign(name="Spring")
    await make.member(campaign_id=campaign.id, contact_id=contact.id)
    await make.deal(
        customer_id=customer.id, contact_id=contact.id, name="Engine", amount=Decimal(7)
    )
    await make.deal(customer_id=customer.id, contact_id=other.id, name="Not hers either")
    data = await gql(EXPORT, {"id": gid("Contact", contact)})
    document: dict[str, Any] = data["exportPersonalData"]["document"]
    document["_contact"] = contact
    return document


async def test_contact_section_holds_the_person_without_internal_hashes(
    exported: dict[str, Any],
) -> None:
    contact = exported["contact"]
    assert (contact["first_name"], contact["last_name"], contact["phone"]) == (
        "Ada",
        "Lovelace",
        "+44 20 7946",
    )
    assert "phone_hash" not in contact


async def test_customer_section_names_their_customer(exported: dict[str, Any]) -> None:
    assert exported["customer"] == {"id": str(exported["_contact"].customer_id), "name": "Acme"}


async def test_interactions_section_holds_theirs_decrypted(exported: dict[str, Any]) -> None:
    assert [(i["subject"], i["summary"]) for i in exported["interactions"]] == [
        ("Intro call", "Likes engines")
    ]


async def test_tickets_section_holds_their_tickets_with_comments(
    exported: dict[str, Any],
) -> None:
    assert [(t["subject"], [c["body"] for c in t["comments"]]) for t in exported["tickets"]] == [
        ("Broken loom", ["On it"])
    ]


async def test_campaign_memberships_section_names_the_campaigns(
    exported: dict[str, Any],
) -> None:
    assert [(m["campaign_name"], m["status"]) for m in exported["campaign_memberships"]] == [
        ("Spring", "targeted")
    ]


async def test_consents_section_holds_the_history_newest_first(
    exported: dict[str, Any],
) -> None:
    assert [(c["purpose"], c["granted"]) for c in exported["consents"]] == [
        ("profiling", False),
        ("marketing_email", True),
    ]


async def test_deals_section_holds_the_deals_they_are_the_contact_of(
    exported: dict[str, Any],
) -> None:
    assert [(d["name"], d["amount"]) for d in exported["deals"]] == [("Engine", "7.00")]


async def test_events_section_holds_every_event_about_them(exported: dict[str, Any]) -> None:
    assert sorted(e["type"] for e in exported["events"]) == [
        "campaign_member.created",
        "contact.consent_changed",
        "contact.consent_changed",
        "contact.created",
        "deal.created",
        "interaction.created",
        "ticket.created",
        "ticket_comment.created",
    ]


async def test_audit_section_holds_every_entry_about_them(exported: dict[str, Any]) -> None:
    assert sorted(a["action"] for a in exported["audit_entries"]) == [
        "campaign_member.created",
        "contact.consent_changed",
        "contact.consent_changed",
        "contact.created",
        "deal.created",
        "interaction.created",
        "ticket.created",
        "ticket_comment.created",
    ]
