"""The queryable graph: for every type, its filterable fields, orderings and relations.

Kept in one module because relations point both ways (customer -> deals -> customer); every
cross-reference is a lambda, resolved when a query first follows it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Table, func, select, type_coerce
from sqlalchemy.sql.elements import KeyedColumnElement

from kernel.filtering import FilterSpec, Relation
from kernel.loaders import ToMany
from kernel.pagination import Ordering
from kernel.tables import table_of
from models import (
    ApiClient,
    AuditEntry,
    AutomationRule,
    AutomationRun,
    BusinessCalendar,
    Campaign,
    CampaignCost,
    CampaignMember,
    Connection,
    Consent,
    Contact,
    Customer,
    Deal,
    DealLineItem,
    DealStageChange,
    ExchangeRate,
    Interaction,
    KbArticle,
    LostReason,
    Pipeline,
    Product,
    ProductPrice,
    Purchase,
    PurchaseLine,
    Segment,
    SlaBreach,
    SlaPolicy,
    SlaTarget,
    Stage,
    Team,
    Ticket,
    TicketComment,
    User,
)
from models.encryption import PhoneLookup
from models.events import Event
from models.webhooks import WebhookAttempt, WebhookDelivery, WebhookEndpoint

teams = table_of(Team)
users = table_of(User)
customers = table_of(Customer)
contacts = table_of(Contact)
interactions = table_of(Interaction)
purchases = table_of(Purchase)
purchase_lines = table_of(PurchaseLine)
pipelines = table_of(Pipeline)
stages = table_of(Stage)
deals = table_of(Deal)
stage_changes = table_of(DealStageChange)
lost_reasons = table_of(LostReason)
products = table_of(Product)
product_prices = table_of(ProductPrice)
line_items = table_of(DealLineItem)
exchange_rates = table_of(ExchangeRate)
campaigns = table_of(Campaign)
members = table_of(CampaignMember)
campaign_costs = table_of(CampaignCost)
segments = table_of(Segment)
kb_articles = table_of(KbArticle)
tickets = table_of(Ticket)
comments = table_of(TicketComment)
sla_policies = table_of(SlaPolicy)
sla_targets = table_of(SlaTarget)
sla_breaches = table_of(SlaBreach)
business_calendars = table_of(BusinessCalendar)
api_clients = table_of(ApiClient)
audit_log = table_of(AuditEntry)
webhook_endpoints = table_of(WebhookEndpoint)
connections = table_of(Connection)
webhook_deliveries = table_of(WebhookDelivery)
webhook_attempts = table_of(WebhookAttempt)
events = table_of(Event)
consents = table_of(Consent)
automation_rules = table_of(AutomationRule)
automation_runs = table_of(AutomationRun)
# Contact phones are encrypted: a filter compares the keyed hash of the number it is given.
contact_phone = type_coerce(contacts.c.phone_hash, PhoneLookup()).label("phone")


def _fields(table: Table, *names: str) -> dict[str, KeyedColumnElement[Any]]:
    return {name: table.c[name] for name in ("id", *names)}


def _many(target: str, child_key: KeyedColumnElement[Any], parent: Table) -> Relation:
    return Relation(target, lambda: SPECS[target], lambda: child_key == parent.c.id, many=True)


def _one(target: str, parent_key: KeyedColumnElement[Any], target_table: Table) -> Relation:
    return Relation(
        target, lambda: SPECS[target], lambda: target_table.c.id == parent_key, many=False
    )


def _customer_campaign_pairs() -> Any:
    return (
        select(contacts.c.customer_id.label("parent_key"), members.c.campaign_id.label("child_id"))
        .join(contacts, contacts.c.id == members.c.contact_id)
        .where(members.c.deleted_at.is_(None), contacts.c.deleted_at.is_(None))
        .distinct()
        .subquery()
    )


SPECS: Mapping[str, FilterSpec] = {
    "team": FilterSpec(teams, _fields(teams, "name", "created_at")),
    "user": FilterSpec(
        users,
        _fields(users, "email", "name", "role", "team_id", "manager_id", "active", "created_at"),
        {"team": _one("team", users.c.team_id, teams)},
        search=(users.c.name, users.c.email),
    ),
    "customer": FilterSpec(
        customers,
        _fields(
            customers,
            "name",
            "domain",
            "industry",
            "employees",
            "lifecycle_stage",
            "credit_status",
            "owner_id",
            "phone",
            "city",
            "country",
            "external_id",
            "created_at",
            "updated_at",
            "deleted_at",
        ),
        {
            "owner": _one("user", customers.c.owner_id, users),
            "contacts": _many("contact", contacts.c.customer_id, customers),
            "deals": _many("deal", deals.c.customer_id, customers),
            "tickets": _many("ticket", tickets.c.customer_id, customers),
            "interactions": _many("interaction", interactions.c.customer_id, customers),
            "purchases": _many("purchase", purchases.c.customer_id, customers),
        },
        soft_delete=customers.c.deleted_at,
        search=(customers.c.name, customers.c.domain, customers.c.phone),
    ),
    "contact": FilterSpec(
        contacts,
        _fields(
            contacts,
            "customer_id",
            "first_name",
            "last_name",
            "email",
            "owner_id",
            "marketing_opt_in",
            "external_id",
            "created_at",
            "updated_at",
            "deleted_at",
        )
        | {"phone": contact_phone},
        {
            "customer": _one("customer", contacts.c.customer_id, customers),
            "owner": _one("user", contacts.c.owner_id, users),
            "deals": _many("deal", deals.c.contact_id, contacts),
            "tickets": _many("ticket", tickets.c.contact_id, contacts),
            "interactions": _many("interaction", interactions.c.contact_id, contacts),
            "campaign_memberships": _many("campaign_member", members.c.contact_id, contacts),
        },
        soft_delete=contacts.c.deleted_at,
        search=(contacts.c.first_name, contacts.c.last_name, contacts.c.email),
        personal=frozenset({"email", "phone"}),
    ),
    "interaction": FilterSpec(
        interactions,
        _fields(
            interactions,
            "kind",
            "occurred_at",
            "customer_id",
            "contact_id",
            "user_id",
            "created_at",
            "deleted_at",
        ),
        {
            "customer": _one("customer", interactions.c.customer_id, customers),
            "contact": _one("contact", interactions.c.contact_id, contacts),
        },
        soft_delete=interactions.c.deleted_at,
        search=(interactions.c.subject,),
    ),
    "purchase": FilterSpec(
        purchases,
        _fields(
            purchases,
            "customer_id",
            "number",
            "kind",
            "status",
            "currency",
            "total_amount",
            "ordered_at",
            "deal_id",
            "external_id",
            "created_at",
            "deleted_at",
        ),
        {
            "customer": _one("customer", purchases.c.customer_id, customers),
            "deal": _one("deal", purchases.c.deal_id, deals),
        },
        soft_delete=purchases.c.deleted_at,
        search=(purchases.c.number,),
    ),
    "purchase_line": FilterSpec(
        purchase_lines, _fields(purchase_lines, "purchase_id", "sku", "created_at")
    ),
    "pipeline": FilterSpec(pipelines, _fields(pipelines, "name", "is_default", "created_at")),
    "stage": FilterSpec(
        stages,
        _fields(
            stages,
            "pipeline_id",
            "name",
            "position",
            "probability",
            "kind",
            "forecast_category",
            "retired_at",
        ),
        {"pipeline": _one("pipeline", stages.c.pipeline_id, pipelines)},
    ),
    "deal": FilterSpec(
        deals,
        _fields(
            deals,
            "name",
            "customer_id",
            "contact_id",
            "pipeline_id",
            "stage_id",
            "owner_id",
            "campaign_id",
            "amount",
            "currency",
            "expected_close_date",
            "closed_at",
            "lost_reason_id",
            "external_id",
            "created_at",
            "updated_at",
            "deleted_at",
        ),
        {
            "customer": _one("customer", deals.c.customer_id, customers),
            "contact": _one("contact", deals.c.contact_id, contacts),
            "stage": _one("stage", deals.c.stage_id, stages),
            "lost_reason": _one("lost_reason", deals.c.lost_reason_id, lost_reasons),
            "owner": _one("user", deals.c.owner_id, users),
            "campaign": _one("campaign", deals.c.campaign_id, campaigns),
        },
        soft_delete=deals.c.deleted_at,
        search=(deals.c.name,),
    ),
    "deal_stage_change": FilterSpec(
        stage_changes, _fields(stage_changes, "deal_id", "to_stage_id", "changed_at")
    ),
    "deal_line_item": FilterSpec(line_items, _fields(line_items, "deal_id", "product_id")),
    "lost_reason": FilterSpec(
        lost_reasons,
        _fields(lost_reasons, "name", "active", "created_at"),
    ),
    "product": FilterSpec(
        products,
        _fields(products, "name", "sku", "active", "created_at", "updated_at", "deleted_at"),
        soft_delete=products.c.deleted_at,
        search=(products.c.name, products.c.sku),
    ),
    "product_price": FilterSpec(product_prices, _fields(product_prices, "product_id", "currency")),
    "exchange_rate": FilterSpec(
        exchange_rates,
        _fields(exchange_rates, "currency", "to_currency", "rate_date", "created_at"),
    ),
    "campaign": FilterSpec(
        campaigns,
        _fields(
            campaigns,
            "name",
            "channel",
            "status",
            "owner_id",
            "parent_id",
            "starts_on",
            "ends_on",
            "created_at",
            "updated_at",
            "deleted_at",
        ),
        {
            "parent": _one("campaign", campaigns.c.parent_id, campaigns),
            "members": _many("campaign_member", members.c.campaign_id, campaigns),
            "deals": _many("deal", deals.c.campaign_id, campaigns),
        },
        soft_delete=campaigns.c.deleted_at,
        search=(campaigns.c.name,),
    ),
    "campaign_member": FilterSpec(
        members,
        _fields(
            members,
            "campaign_id",
            "contact_id",
            "status",
            "segment_id",
            "responded_at",
            "created_at",
            "deleted_at",
        ),
        {
            "campaign": _one("campaign", members.c.campaign_id, campaigns),
            "contact": _one("contact", members.c.contact_id, contacts),
        },
        soft_delete=members.c.deleted_at,
    ),
    "campaign_cost": FilterSpec(
        campaign_costs, _fields(campaign_costs, "campaign_id", "incurred_on", "created_at")
    ),
    "segment": FilterSpec(
        segments,
        _fields(
            segments,
            "name",
            "entity_type",
            "kind",
            "owner_id",
            "created_at",
            "updated_at",
            "deleted_at",
        ),
        {"owner": _one("user", segments.c.owner_id, users)},
        soft_delete=segments.c.deleted_at,
        search=(segments.c.name,),
    ),
    "kb_article": FilterSpec(
        kb_articles,
        _fields(
            kb_articles,
            "title",
            "category",
            "status",
            "author_id",
            "published_at",
            "created_at",
            "updated_at",
            "deleted_at",
        ),
        {"author": _one("user", kb_articles.c.author_id, users)},
        soft_delete=kb_articles.c.deleted_at,
        search=(kb_articles.c.title,),
    ),
    "ticket": FilterSpec(
        tickets,
        _fields(
            tickets,
            "subject",
            "status",
            "priority",
            "channel",
            "customer_id",
            "contact_id",
            "assignee_id",
            "team_id",
            "resolved_at",
            "closed_at",
            "first_response_at",
            "first_response_due",
            "resolution_due",
            "external_id",
            "created_at",
            "updated_at",
            "deleted_at",
        ),
        {
            "customer": _one("customer", tickets.c.customer_id, customers),
            "contact": _one("contact", tickets.c.contact_id, contacts),
            "assignee": _one("user", tickets.c.assignee_id, users),
            "team": _one("team", tickets.c.team_id, teams),
            "comments": _many("ticket_comment", comments.c.ticket_id, tickets),
        },
        soft_delete=tickets.c.deleted_at,
        search=(tickets.c.subject,),
    ),
    "ticket_comment": FilterSpec(
        comments,
        _fields(comments, "ticket_id", "author_id", "is_public", "created_at", "deleted_at"),
        {"ticket": _one("ticket", comments.c.ticket_id, tickets)},
        soft_delete=comments.c.deleted_at,
    ),
    "business_calendar": FilterSpec(
        business_calendars, _fields(business_calendars, "name", "time_zone", "created_at")
    ),
    "sla_policy": FilterSpec(
        sla_policies,
        _fields(sla_policies, "name", "customer_tier", "calendar_id", "active", "created_at"),
        soft_delete=sla_policies.c.deleted_at,
        search=(sla_policies.c.name,),
    ),
    "sla_target": FilterSpec(sla_targets, _fields(sla_targets, "policy_id", "priority")),
    "sla_breach": FilterSpec(
        sla_breaches, _fields(sla_breaches, "ticket_id", "kind", "due_at", "breached_at")
    ),
    "consent": FilterSpec(
        consents, _fields(consents, "contact_id", "purpose", "granted", "occurred_at")
    ),
    "api_client": FilterSpec(
        api_clients, _fields(api_clients, "name", "client_id", "revoked_at", "created_at")
    ),
    "audit_entry": FilterSpec(
        audit_log,
        _fields(
            audit_log, "actor", "action", "entity_type", "entity_id", "occurred_at", "request_id"
        ),
    ),
    "webhook_endpoint": FilterSpec(
        webhook_endpoints, _fields(webhook_endpoints, "state", "connection_id", "created_at")
    ),
    "connection": FilterSpec(
        connections, _fields(connections, "name", "connector", "state", "created_at")
    ),
    "webhook_delivery": FilterSpec(
        webhook_deliveries,
        _fields(webhook_deliveries, "endpoint_id", "status", "entity_id", "created_at"),
    ),
    "webhook_attempt": FilterSpec(
        webhook_attempts, _fields(webhook_attempts, "delivery_id", "started_at")
    ),
    "event": FilterSpec(events, _fields(events, "type", "entity_type", "entity_id", "occurred_at")),
    "automation_rule": FilterSpec(
        automation_rules,
        _fields(automation_rules, "name", "trigger", "active", "created_at", "deleted_at"),
        {"runs": _many("automation_run", automation_runs.c.rule_id, automation_rules)},
        soft_delete=automation_rules.c.deleted_at,
        search=(automation_rules.c.name,),
    ),
    "automation_run": FilterSpec(
        automation_runs,
        _fields(
            automation_runs,
            "rule_id",
            "event_id",
            "event_type",
            "entity_id",
            "status",
            "created_at",
        ),
        {"rule": _one("automation_rule", automation_runs.c.rule_id, automation_rules)},
    ),
}

# Orderable fields: indexed and never null, so that keyset cursors are exact.
ORDERINGS: Mapping[str, Mapping[str, KeyedColumnElement[Any]]] = {
    "team": {"name": teams.c.name, "created_at": teams.c.created_at},
    "user": {"name": users.c.name, "email": users.c.email, "created_at": users.c.created_at},
    "customer": {
        "name": customers.c.name,
        "lifecycle_stage": customers.c.lifecycle_stage,
        "created_at": customers.c.created_at,
        "updated_at": customers.c.updated_at,
    },
    "contact": {
        "last_name": contacts.c.last_name,
        "first_name": contacts.c.first_name,
        "created_at": contacts.c.created_at,
        "updated_at": contacts.c.updated_at,
    },
    "interaction": {
        "occurred_at": interactions.c.occurred_at,
        "created_at": interactions.c.created_at,
    },
    "purchase": {
        "ordered_at": purchases.c.ordered_at,
        "total_amount": purchases.c.total_amount,
        "created_at": purchases.c.created_at,
    },
    "purchase_line": {"position": purchase_lines.c.position},
    "pipeline": {"name": pipelines.c.name, "created_at": pipelines.c.created_at},
    "stage": {"position": stages.c.position},
    "deal": {
        "name": deals.c.name,
        "amount": deals.c.amount,
        "created_at": deals.c.created_at,
        "updated_at": deals.c.updated_at,
    },
    "deal_stage_change": {"changed_at": stage_changes.c.changed_at},
    # Small tables, or read per parent: these orderings need no index of their own.
    "deal_line_item": {"position": line_items.c.position},
    "lost_reason": {"position": lost_reasons.c.position, "name": lost_reasons.c.name},
    "product": {
        "name": products.c.name,
        "sku": products.c.sku,
        "created_at": products.c.created_at,
        "updated_at": products.c.updated_at,
    },
    "product_price": {"currency": product_prices.c.currency},
    "exchange_rate": {"rate_date": exchange_rates.c.rate_date},
    "campaign": {
        "name": campaigns.c.name,
        "created_at": campaigns.c.created_at,
        "updated_at": campaigns.c.updated_at,
    },
    "campaign_member": {
        "created_at": members.c.created_at,
        "updated_at": members.c.updated_at,
    },
    "campaign_cost": {"incurred_on": campaign_costs.c.incurred_on},
    "segment": {"name": segments.c.name, "created_at": segments.c.created_at},
    "kb_article": {
        "title": kb_articles.c.title,
        "created_at": kb_articles.c.created_at,
        "updated_at": kb_articles.c.updated_at,
    },
    "ticket": {
        "subject": tickets.c.subject,
        "created_at": tickets.c.created_at,
        "updated_at": tickets.c.updated_at,
    },
    "ticket_comment": {"created_at": comments.c.created_at},
    "business_calendar": {
        "name": business_calendars.c.name,
        "created_at": business_calendars.c.created_at,
    },
    "sla_policy": {"name": sla_policies.c.name, "created_at": sla_policies.c.created_at},
    "sla_target": {"priority": sla_targets.c.priority},
    "sla_breach": {"breached_at": sla_breaches.c.breached_at},
    "api_client": {"name": api_clients.c.name, "created_at": api_clients.c.created_at},
    "audit_entry": {"occurred_at": audit_log.c.occurred_at},
    "consent": {"occurred_at": consents.c.occurred_at, "purpose": consents.c.purpose},
    "webhook_endpoint": {"created_at": webhook_endpoints.c.created_at},
    "connection": {"name": connections.c.name, "created_at": connections.c.created_at},
    "webhook_delivery": {"created_at": webhook_deliveries.c.created_at},
    "webhook_attempt": {"started_at": webhook_attempts.c.started_at},
    "event": {"occurred_at": events.c.occurred_at},
    "automation_rule": {
        "name": automation_rules.c.name,
        "created_at": automation_rules.c.created_at,
    },
    "automation_run": {"created_at": automation_runs.c.created_at},
}


def ordering(type_name: str, field: str, descending: bool = False) -> Ordering:
    """The keyset ordering of a type by one of its orderable fields."""
    table = SPECS[type_name].table
    return Ordering(field, ORDERINGS[type_name][field], table.c.id, descending)


def _to_many(name: str, target: str, parent_key: KeyedColumnElement[Any]) -> ToMany:
    return ToMany(name, target, SPECS[target], lambda: parent_key)


# Every one-to-many and many-to-many relation the API serves, read through `Loaders`.
CONTACTS_BY_CUSTOMER = _to_many("contacts_by_customer", "contact", contacts.c.customer_id)
DEALS_BY_CUSTOMER = _to_many("deals_by_customer", "deal", deals.c.customer_id)
TICKETS_BY_CUSTOMER = _to_many("tickets_by_customer", "ticket", tickets.c.customer_id)
INTERACTIONS_BY_CUSTOMER = _to_many(
    "interactions_by_customer", "interaction", interactions.c.customer_id
)
PURCHASES_BY_CUSTOMER = _to_many("purchases_by_customer", "purchase", purchases.c.customer_id)
CAMPAIGNS_BY_CUSTOMER = ToMany(
    "campaigns_by_customer", "campaign", SPECS["campaign"], through=_customer_campaign_pairs
)
DEALS_BY_CONTACT = _to_many("deals_by_contact", "deal", deals.c.contact_id)
TICKETS_BY_CONTACT = _to_many("tickets_by_contact", "ticket", tickets.c.contact_id)
INTERACTIONS_BY_CONTACT = _to_many(
    "interactions_by_contact", "interaction", interactions.c.contact_id
)
MEMBERSHIPS_BY_CONTACT = _to_many("memberships_by_contact", "campaign_member", members.c.contact_id)
PURCHASES_BY_DEAL = _to_many("purchases_by_deal", "purchase", purchases.c.deal_id)
LINES_BY_PURCHASE = _to_many("lines_by_purchase", "purchase_line", purchase_lines.c.purchase_id)
STAGES_BY_PIPELINE = _to_many("stages_by_pipeline", "stage", stages.c.pipeline_id)
HISTORY_BY_DEAL = _to_many("history_by_deal", "deal_stage_change", stage_changes.c.deal_id)
LINE_ITEMS_BY_DEAL = _to_many("line_items_by_deal", "deal_line_item", line_items.c.deal_id)
PRICES_BY_PRODUCT = _to_many("prices_by_product", "product_price", product_prices.c.product_id)
MEMBERS_BY_CAMPAIGN = _to_many("members_by_campaign", "campaign_member", members.c.campaign_id)
DEALS_BY_CAMPAIGN = _to_many("deals_by_campaign", "deal", deals.c.campaign_id)
CHILDREN_BY_CAMPAIGN = _to_many("children_by_campaign", "campaign", campaigns.c.parent_id)
COSTS_BY_CAMPAIGN = _to_many("costs_by_campaign", "campaign_cost", campaign_costs.c.campaign_id)
COMMENTS_BY_TICKET = _to_many("comments_by_ticket", "ticket_comment", comments.c.ticket_id)
BREACHES_BY_TICKET = _to_many("breaches_by_ticket", "sla_breach", sla_breaches.c.ticket_id)
TARGETS_BY_POLICY = _to_many("targets_by_policy", "sla_target", sla_targets.c.policy_id)
USERS_BY_TEAM = _to_many("users_by_team", "user", users.c.team_id)
DELIVERIES_BY_ENDPOINT = _to_many(
    "deliveries_by_endpoint", "webhook_delivery", webhook_deliveries.c.endpoint_id
)
ATTEMPTS_BY_DELIVERY = _to_many(
    "attempts_by_delivery", "webhook_attempt", webhook_attempts.c.delivery_id
)
RUNS_BY_RULE = _to_many("runs_by_rule", "automation_run", automation_runs.c.rule_id)
CONSENTS_BY_CONTACT = _to_many("consents_by_contact", "consent", consents.c.contact_id)


def _current_consent_pairs() -> Any:
    """(contact, consent) for the latest consent of each contact and purpose."""
    latest = func.row_number().over(
        partition_by=(consents.c.contact_id, consents.c.purpose),
        order_by=(consents.c.occurred_at.desc(), consents.c.id.desc()),
    )
    ranked = select(
        consents.c.contact_id.label("parent_key"),
        consents.c.id.label("child_id"),
        latest.label("rank"),
    ).subquery()
    return select(ranked.c.parent_key, ranked.c.child_id).where(ranked.c.rank == 1).subquery()


CURRENT_CONSENTS_BY_CONTACT = ToMany(
    "current_consents_by_contact", "consent", SPECS["consent"], through=_current_consent_pairs
)
