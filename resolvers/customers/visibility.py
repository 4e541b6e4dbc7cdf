"""Which customers, contacts, interactions and purchases a user sees (see `identity.visibility`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, or_, select

from kernel.principal import Principal
from kernel.tables import table_of
from kernel.visibility import RowRule
from models.customers import Contact, Customer, Interaction, Purchase, PurchaseLine
from models.tickets import Ticket
from resolvers.identity.visibility import Reach, owner_ids, reach

customers = table_of(Customer)
contacts = table_of(Contact)
interactions = table_of(Interaction)
purchases = table_of(Purchase)
purchase_lines = table_of(PurchaseLine)
tickets = table_of(Ticket)


def visible_customer_ids(principal: Principal) -> Select[Any]:
    """Ids of the customers a user of limited reach sees: their team's, or for support those
    behind a ticket."""
    if reach(principal) is Reach.SUPPORT:
        return select(tickets.c.customer_id).where(
            tickets.c.deleted_at.is_(None), tickets.c.customer_id.is_not(None)
        )
    return select(customers.c.id).where(customers.c.owner_id.in_(owner_ids(principal)))


def _customers(principal: Principal) -> ColumnElement[bool] | None:
    match reach(principal):
        case Reach.TEAM:
            return customers.c.owner_id.in_(owner_ids(principal))
        case Reach.SUPPORT:
            return customers.c.id.in_(visible_customer_ids(principal))
    return None


def _contacts(principal: Principal) -> ColumnElement[bool] | None:
    match reach(principal):
        case Reach.TEAM:
            return or_(
                contacts.c.owner_id.in_(owner_ids(principal)),
                contacts.c.customer_id.in_(visible_customer_ids(principal)),
            )
        case Reach.SUPPORT:
            with_tickets = select(tickets.c.contact_id).where(tickets.c.contact_id.is_not(None))
            return or_(
                contacts.c.customer_id.in_(visible_customer_ids(principal)),
                contacts.c.id.in_(with_tickets),
            )
    return None


def _interactions(principal: Principal) -> ColumnElement[bool] | None:
    match reach(principal):
        case Reach.TEAM:
            return or_(
                interactions.c.customer_id.in_(visible_customer_ids(principal)),
                interactions.c.user_id == principal.user_id,
            )
        case Reach.SUPPORT:
            return interactions.c.customer_id.in_(visible_customer_ids(principal))
    return None


def _purchases(principal: Principal) -> ColumnElement[bool] | None:
    if reach(principal) is Reach.TEAM:
        return purchases.c.customer_id.in_(visible_customer_ids(principal))
    return None


def _purchase_lines(principal: Principal) -> ColumnElement[bool] | None:
    if reach(principal) is Reach.TEAM:
        visible = select(purchases.c.id).where(
            purchases.c.customer_id.in_(visible_customer_ids(principal))
        )
        return purchase_lines.c.purchase_id.in_(visible)
    return None


ROW_RULES: dict[str, RowRule] = {
    customers.name: _customers,
    contacts.name: _contacts,
    interactions.name: _interactions,
    purchases.name: _purchases,
    purchase_lines.name: _purchase_lines,
}
