"""Row-level visibility: which rows of each type a principal may see.

Sales reps see what they or their team own, managers what their team or their reports own,
support the tickets and the customers behind them; admins, marketing, read-only users, API
clients and operators see every row (their scopes still limit which types).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, or_, select

from kernel.principal import Principal, PrincipalKind
from kernel.tables import table_of
from models import (
    Contact,
    Customer,
    Deal,
    DealStageChange,
    Interaction,
    Purchase,
    PurchaseLine,
    Ticket,
    TicketComment,
    User,
)
from resolvers.tickets.knowledge.visibility import article_filter

TEAM_SCOPED_ROLES = {"sales_rep", "sales_manager"}

users = table_of(User)
customers = table_of(Customer)
contacts = table_of(Contact)
deals = table_of(Deal)
stage_changes = table_of(DealStageChange)
tickets = table_of(Ticket)
comments = table_of(TicketComment)
interactions = table_of(Interaction)
purchases = table_of(Purchase)
purchase_lines = table_of(PurchaseLine)


def _owners(principal: Principal) -> Select[Any]:
    """Ids of the users whose records this sales user sees: their team, and for managers
    their direct reports too."""
    me = principal.user_id
    my_team = select(users.c.team_id).where(users.c.id == me).scalar_subquery()
    condition = or_(users.c.id == me, users.c.team_id == my_team)
    if principal.role == "sales_manager":
        condition = or_(condition, users.c.manager_id == me)
    return select(users.c.id).where(condition)


def _visible_customer_ids(principal: Principal) -> Select[Any]:
    if principal.role == "support":
        return select(tickets.c.customer_id).where(
            tickets.c.deleted_at.is_(None), tickets.c.customer_id.is_not(None)
        )
    return select(customers.c.id).where(customers.c.owner_id.in_(_owners(principal)))


def row_filter(table_name: str, principal: Principal) -> ColumnElement[bool] | None:
    """The condition rows of a table must meet for ``principal``; None when all pass."""
    if table_name == "kb_articles":  # by scope, not role: drafts are for writers only
        return article_filter(principal)
    if principal.kind is not PrincipalKind.USER or principal.user_id is None:
        return None
    if principal.role in TEAM_SCOPED_ROLES:
        return _sales_filter(table_name, principal)
    if principal.role == "support":
        return _support_filter(table_name, principal)
    return None


def _sales_filter(table_name: str, principal: Principal) -> ColumnElement[bool] | None:
    owners = _owners(principal)
    visible_customers = _visible_customer_ids(principal)
    match table_name:
        case "customers":
            return customers.c.owner_id.in_(owners)
        case "contacts":
            return or_(
                contacts.c.owner_id.in_(owners), contacts.c.customer_id.in_(visible_customers)
            )
        case "deals":
            return or_(deals.c.owner_id.in_(owners), deals.c.customer_id.in_(visible_customers))
        case "deal_stage_changes":
            visible_deals = select(deals.c.id).where(
                or_(deals.c.owner_id.in_(owners), deals.c.customer_id.in_(visible_customers))
            )
            return stage_changes.c.deal_id.in_(visible_deals)
        case "tickets":
            return tickets.c.customer_id.in_(visible_customers)
        case "ticket_comments":
            visible_tickets = select(tickets.c.id).where(
                tickets.c.customer_id.in_(visible_customers)
            )
            return comments.c.ticket_id.in_(visible_tickets)
        case "interactions":
            return or_(
                interactions.c.customer_id.in_(visible_customers),
                interactions.c.user_id == principal.user_id,
            )
        case "purchases":
            return purchases.c.customer_id.in_(visible_customers)
        case "purchase_lines":
            visible_purchases = select(purchases.c.id).where(
                purchases.c.customer_id.in_(visible_customers)
            )
            return purchase_lines.c.purchase_id.in_(visible_purchases)
    return None


def _support_filter(table_name: str, principal: Principal) -> ColumnElement[bool] | None:
    visible_customers = _visible_customer_ids(principal)
    match table_name:
        case "customers":
            return customers.c.id.in_(visible_customers)
        case "contacts":
            with_tickets = select(tickets.c.contact_id).where(tickets.c.contact_id.is_not(None))
            return or_(
                contacts.c.customer_id.in_(visible_customers), contacts.c.id.in_(with_tickets)
            )
        case "interactions":
            return interactions.c.customer_id.in_(visible_customers)
    return None
