"""Right of access (GDPR art. 15): everything held about one person, as one JSON document."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Table, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.audit import record_audit
from kernel.principal import Principal
from kernel.tables import json_value, row_to_dict, table_of
from models import (
    AuditEntry,
    Campaign,
    CampaignMember,
    Consent,
    Contact,
    Customer,
    Deal,
    Event,
    Interaction,
    Ticket,
    TicketComment,
    utcnow,
)
from resolvers.privacy.subject import load_contact

contacts = table_of(Contact)
customers = table_of(Customer)
interactions = table_of(Interaction)
tickets = table_of(Ticket)
comments = table_of(TicketComment)
members = table_of(CampaignMember)
campaigns = table_of(Campaign)
consents = table_of(Consent)
deals = table_of(Deal)
events = table_of(Event)
audit_log = table_of(AuditEntry)

# Internal columns that say nothing about the person.
HIDDEN = frozenset({"phone_hash"})
FORMAT = "crm.personal-data-export/1"


def _record(row: Any, table: Table) -> dict[str, Any]:
    return {key: value for key, value in row_to_dict(row, table).items() if key not in HIDDEN}


async def _rows(
    session: AsyncSession, table: Table, *where: ColumnElement[bool], order: Any
) -> list[Any]:
    statement = select(table).where(*where).order_by(order, table.c[_key(table)])
    return list((await session.execute(statement)).all())


def _key(table: Table) -> str:
    return "position" if "position" in table.c else "id"


async def related_ids(session: AsyncSession, contact_id: uuid.UUID) -> dict[str, list[uuid.UUID]]:
    """Ids of the records that concern the contact, per entity type (soft-deleted included)."""
    ticket_ids = list(
        await session.scalars(select(tickets.c.id).where(tickets.c.contact_id == contact_id))
    )
    found: dict[str, list[uuid.UUID]] = {"contact": [contact_id], "ticket": ticket_ids}
    for entity, column in (
        ("interaction", interactions.c.contact_id),
        ("campaign_member", members.c.contact_id),
        ("deal", deals.c.contact_id),
    ):
        table = column.table
        found[entity] = list(await session.scalars(select(table.c.id).where(column == contact_id)))
    found["ticket_comment"] = list(
        await session.scalars(select(comments.c.id).where(comments.c.ticket_id.in_(ticket_ids)))
    )
    return found


def concerning(table: Table, ids: dict[str, list[uuid.UUID]]) -> ColumnElement[bool]:
    """Outbox events or audit entries about any of these records."""
    return or_(
        *(
            (table.c.entity_type == entity) & table.c.entity_id.in_(entity_ids)
            for entity, entity_ids in ids.items()
            if entity_ids
        )
    )


async def export_personal_data(
    session: AsyncSession, principal: Principal, contact_id: uuid.UUID
) -> dict[str, Any]:
    """The document; the export itself is audited (`contact.exported`)."""
    contact = await load_contact(session, principal, contact_id)
    customer_name = None
    if contact.customer_id is not None:
        customer_name = await session.scalar(
            select(customers.c.name).where(customers.c.id == contact.customer_id)
        )
    ids = await related_ids(session, contact_id)
    ticket_rows = await _rows(
        session, tickets, tickets.c.id.in_(ids["ticket"]), order=tickets.c.created_at
    )
    comment_rows = await _rows(
        session, comments, comments.c.id.in_(ids["ticket_comment"]), order=comments.c.created_at
    )
    membership_rows = (
        await session.execute(
            select(members, campaigns.c.name.label("campaign_name"))
            .join(campaigns, campaigns.c.id == members.c.campaign_id)
            .where(members.c.contact_id == contact_id)
            .order_by(members.c.created_at, members.c.id)
        )
    ).all()
    document = {
        "format": FORMAT,
        "generated_at": json_value(utcnow()),
        "contact": _record(contact, contacts),
        "customer": None
        if contact.customer_id is None
        else {"id": str(contact.customer_id), "name": customer_name},
        "interactions": [
            _record(row, interactions)
            for row in await _rows(
                session,
                interactions,
                interactions.c.contact_id == contact_id,
                order=interactions.c.occurred_at,
            )
        ],
        "tickets": [
            {
                **_record(ticket, tickets),
                "comments": [
                    _record(comment, comments)
                    for comment in comment_rows
                    if comment.ticket_id == ticket.id
                ],
            }
            for ticket in ticket_rows
        ],
        "campaign_memberships": [
            {**_record(row, members), "campaign_name": row.campaign_name} for row in membership_rows
        ],
        "consents": [
            _record(row, consents)
            for row in await _rows(
                session,
                consents,
                consents.c.contact_id == contact_id,
                order=consents.c.occurred_at.desc(),
            )
        ],
        "deals": [
            _record(row, deals)
            for row in await _rows(
                session, deals, deals.c.contact_id == contact_id, order=deals.c.created_at
            )
        ],
        "events": _entries(
            await _rows(session, events, concerning(events, ids), order=events.c.position), events
        ),
        "audit_entries": _entries(
            await _rows(session, audit_log, concerning(audit_log, ids), order=audit_log.c.position),
            audit_log,
        ),
    }
    record_audit(session, principal, "contact.exported", "contact", contact_id)
    return document


def _entries(rows: Sequence[Any], table: Table) -> list[dict[str, Any]]:
    return [_record(row, table) for row in rows]
