"""Consent history: appended, never changed, mirrored into the contact's marketing opt-in."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from kernel.crud import update_entity
from kernel.principal import SYSTEM
from kernel.unit_of_work import unit_of_work
from models import AuditEntry, Consent, Contact, Event
from resolvers.customers.service import CONTACT_RULES


async def _history(session_factory: Any) -> list[tuple[str, bool, str | None]]:
    async with session_factory() as session:
        rows = (await session.scalars(select(Consent).order_by(Consent.occurred_at))).all()  # type: ignore[arg-type]
    return [(row.purpose, row.granted, row.source) for row in rows]


async def _contact(session_factory: Any, contact: Any) -> Any:
    async with session_factory() as session:
        return await session.get(Contact, contact.id)


async def test_every_change_is_kept(make: Any, session_factory: Any) -> None:
    contact = await make.contact()

    await make.consent(contact_id=contact.id, purpose="profiling", granted=True, source="app")
    await make.consent(contact_id=contact.id, purpose="profiling", granted=False, source="mail")

    assert await _history(session_factory) == [
        ("profiling", True, "app"),
        ("profiling", False, "mail"),
    ]


async def test_marketing_email_consent_sets_the_contacts_opt_in(
    make: Any, session_factory: Any
) -> None:
    contact = await make.contact()

    consent = await make.consent(contact_id=contact.id, source="web form")

    loaded = await _contact(session_factory, contact)
    assert (loaded.marketing_opt_in, loaded.opt_in_at, loaded.opt_in_source) == (
        True,
        consent.occurred_at,
        "web form",
    )


async def test_withdrawing_marketing_email_clears_the_opt_in_time(
    make: Any, session_factory: Any
) -> None:
    contact = await make.contact(marketing_opt_in=True)

    await make.consent(contact_id=contact.id, granted=False, source="unsubscribe link")

    loaded = await _contact(session_factory, contact)
    assert (loaded.marketing_opt_in, loaded.opt_in_at, loaded.opt_in_source) == (
        False,
        None,
        "unsubscribe link",
    )


async def test_other_purposes_leave_the_opt_in_alone(make: Any, session_factory: Any) -> None:
    contact = await make.contact()

    await make.consent(contact_id=contact.id, purpose="marketing_phone")

    assert (await _contact(session_factory, contact)).marketing_opt_in is False


async def test_opting_in_through_the_contact_enters_the_history(
    make: Any, session_factory: Any
) -> None:
    contact = await make.contact()

    async with unit_of_work(session_factory) as session:
        await update_entity(
            session,
            SYSTEM,
            CONTACT_RULES,
            contact.id,
            {"marketing_opt_in": True, "opt_in_source": "trade fair"},
        )

    assert await _history(session_factory) == [("marketing_email", True, "trade fair")]


async def test_a_contact_created_opted_in_starts_its_history(
    make: Any, session_factory: Any
) -> None:
    await make.contact(marketing_opt_in=True, opt_in_source="import")
    await make.contact(marketing_opt_in=False)

    assert await _history(session_factory) == [("marketing_email", True, "import")]


async def test_a_consent_emits_consent_changed_and_is_audited(
    make: Any, session_factory: Any
) -> None:
    contact = await make.contact()

    await make.consent(contact_id=contact.id, purpose="profiling", granted=True)

    async with session_factory() as session:
        event = (await session.scalars(select(Event).order_by(Event.position.desc()))).first()  # type: ignore[union-attr]
        entry = (
            await session.scalars(select(AuditEntry).order_by(AuditEntry.position.desc()))  # type: ignore[union-attr]
        ).first()
    assert event is not None
    assert entry is not None
    assert (event.type, event.entity_id, event.sequence) == (
        "contact.consent_changed",
        contact.id,
        2,
    )
    assert event.payload["object"]["purpose"] == "profiling"
    assert (entry.action, entry.changes) == (
        "contact.consent_changed",
        {"consent.profiling": {"old": None, "new": True}},
    )
