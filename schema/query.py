"""The root query: Relay node lookup and one list per type."""

from __future__ import annotations

import asyncio
import uuid

import strawberry
from graphql import GraphQLError

from kernel.errors import InvalidArgumentError
from kernel.permissions import READ_SCOPES, has_scope
from kernel.principal import Principal
from resolvers.graph import SPECS
from schema.audit import AuditEntry, AuditEntryFilter, AuditEntryOrder
from schema.bulk.types import EXPORT_JOB, IMPORT_JOB
from schema.campaigns.automation import (
    AutomationRule,
    AutomationRuleFilter,
    AutomationRuleOrder,
    AutomationRun,
    AutomationRunFilter,
    AutomationRunOrder,
)
from schema.campaigns.segments import CAMPAIGN_PERFORMANCE, Segment, SegmentFilter, SegmentOrder
from schema.campaigns.types import (
    Campaign,
    CampaignCost,
    CampaignFilter,
    CampaignMember,
    CampaignMemberFilter,
    CampaignMemberOrder,
    CampaignOrder,
)
from schema.connections import list_field
from schema.context import Info
from schema.customers.interactions import Interaction, InteractionFilter, InteractionOrder
from schema.customers.purchases import Purchase, PurchaseFilter, PurchaseLine, PurchaseOrder
from schema.customers.types import (
    Contact,
    ContactFilter,
    ContactOrder,
    Customer,
    CustomerFilter,
    CustomerOrder,
)
from schema.deals.catalog import (
    EXCHANGE_RATES,
    LOST_REASONS,
    PRODUCTS,
    ExchangeRate,
    LostReason,
    Product,
    ProductPrice,
)
from schema.deals.reports import PIPELINE_VELOCITY, SALES_FORECAST, SALES_FUNNEL, WIN_LOSS
from schema.deals.types import (
    Deal,
    DealFilter,
    DealOrder,
    DealStageChange,
    Pipeline,
    PipelineFilter,
    PipelineOrder,
    Stage,
)
from schema.errors import bad_input
from schema.identity.clients import API_CLIENTS, ApiClient
from schema.identity.users import Team, TeamFilter, TeamOrder, User, UserFilter, UserOrder
from schema.ids import decode_id
from schema.integrations.types import CONNECTIONS, CONNECTORS, Connection
from schema.node import Node
from schema.privacy.consents import Consent
from schema.privacy.types import EXPORT_PERSONAL_DATA
from schema.sources import NodeLookup, source
from schema.tickets.knowledge import (
    KB_ARTICLES_FOR_TICKET,
    SEARCH_KB_ARTICLES,
    SUGGESTED_KB_ARTICLES,
    KbArticle,
    KbArticleFilter,
    KbArticleOrder,
)
from schema.tickets.reports import SERVICE_REPORT
from schema.tickets.sla import (
    BUSINESS_CALENDARS,
    SLA_POLICIES,
    BusinessCalendar,
    SlaBreach,
    SlaPolicy,
    SlaTarget,
)
from schema.tickets.types import Ticket, TicketComment, TicketFilter, TicketOrder
from schema.webhooks.types import (
    EndpointOrder,
    OutboxEvent,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEndpointFilter,
)

MAX_NODES = 100

NODE_TYPES: dict[str, tuple[type[Node], str]] = {
    node.type_name(): (node, key)
    for node, key in (
        (Team, "team"),
        (User, "user"),
        (Customer, "customer"),
        (Contact, "contact"),
        (Interaction, "interaction"),
        (Purchase, "purchase"),
        (PurchaseLine, "purchase_line"),
        (Pipeline, "pipeline"),
        (Stage, "stage"),
        (Deal, "deal"),
        (DealStageChange, "deal_stage_change"),
        (LostReason, "lost_reason"),
        (Product, "product"),
        (ProductPrice, "product_price"),
        (ExchangeRate, "exchange_rate"),
        (Campaign, "campaign"),
        (CampaignMember, "campaign_member"),
        (CampaignCost, "campaign_cost"),
        (Segment, "segment"),
        (Ticket, "ticket"),
        (TicketComment, "ticket_comment"),
        (SlaPolicy, "sla_policy"),
        (SlaTarget, "sla_target"),
        (SlaBreach, "sla_breach"),
        (BusinessCalendar, "business_calendar"),
        (ApiClient, "api_client"),
        (AuditEntry, "audit_entry"),
        (Consent, "consent"),
        (WebhookEndpoint, "webhook_endpoint"),
        (WebhookDelivery, "webhook_delivery"),
        (WebhookAttempt, "webhook_attempt"),
        (OutboxEvent, "event"),
        (Connection, "connection"),
        (AutomationRule, "automation_rule"),
        (AutomationRun, "automation_run"),
        (KbArticle, "kb_article"),
    )
}


def node_target(
    principal: Principal, global_id: str, argument: str
) -> tuple[type[Node], str, uuid.UUID] | None:
    """The schema type, type key and row id a global id names, if the principal may read
    that type (None otherwise: as if it did not exist); a GraphQL error if it is no id."""
    try:
        type_name, row_id = decode_id(global_id, argument)
    except InvalidArgumentError as exc:
        raise bad_input(exc) from exc
    if type_name not in NODE_TYPES:
        return None
    node, key = NODE_TYPES[type_name]
    if not has_scope(principal, READ_SCOPES[key]):
        return None
    return node, key, row_id


async def _load(info: Info, global_id: str, argument: str) -> Node | None:
    target = node_target(info.context.principal, global_id, argument)
    if target is None:
        return None
    node, key, row_id = target
    row = await info.context.loaders.by_id(SPECS[key].table).load(row_id)
    return node.from_optional(row)


@strawberry.type
class Query:
    @strawberry.field(
        description="Any object by its global id; null if there is none.",
        metadata=source(NodeLookup(many=False)),
    )
    async def node(self, info: Info, id: strawberry.ID) -> Node | None:
        return await _load(info, id, "id")

    @strawberry.field(
        description=f"Objects by global ids, in order (at most {MAX_NODES}).",
        metadata=source(NodeLookup(many=True)),
    )
    async def nodes(self, info: Info, ids: list[strawberry.ID]) -> list[Node | None]:
        if len(ids) > MAX_NODES:
            raise GraphQLError(
                f"at most {MAX_NODES} ids", extensions={"code": "BAD_USER_INPUT", "argument": "ids"}
            )
        # Gathered, so that the loader reads all ids of a type in one statement.
        return list(await asyncio.gather(*(_load(info, global_id, "ids") for global_id in ids)))

    customers = list_field(
        "customer",
        Customer,
        CustomerFilter,
        CustomerOrder,
        "name",
        "Customers (companies, accounts). `search` matches name, domain and phone.",
        True,
    )
    contacts = list_field(
        "contact",
        Contact,
        ContactFilter,
        ContactOrder,
        "last_name",
        "Contacts. `search` matches first and last name and email (phones are encrypted: "
        "filter on `phone` instead).",
        True,
    )
    interactions = list_field(
        "interaction",
        Interaction,
        InteractionFilter,
        InteractionOrder,
        "occurred_at",
        "Calls, emails, meetings and notes.",
    )
    purchases = list_field(
        "purchase", Purchase, PurchaseFilter, PurchaseOrder, "ordered_at", "Orders and invoices."
    )
    pipelines = list_field(
        "pipeline", Pipeline, PipelineFilter, PipelineOrder, "name", "Sales pipelines."
    )
    deals = list_field("deal", Deal, DealFilter, DealOrder, "created_at", "Deals.", True)
    lost_reasons = LOST_REASONS
    products = PRODUCTS
    exchange_rates = EXCHANGE_RATES
    campaigns = list_field(
        "campaign", Campaign, CampaignFilter, CampaignOrder, "created_at", "Campaigns.", True
    )
    campaign_members = list_field(
        "campaign_member",
        CampaignMember,
        CampaignMemberFilter,
        CampaignMemberOrder,
        "created_at",
        "Campaign members.",
    )
    segments = list_field(
        "segment",
        Segment,
        SegmentFilter,
        SegmentOrder,
        "name",
        "Saved contact and customer segments.",
        True,
    )
    campaign_performance = CAMPAIGN_PERFORMANCE
    tickets = list_field(
        "ticket", Ticket, TicketFilter, TicketOrder, "created_at", "Service tickets.", True
    )
    sla_policies = SLA_POLICIES
    business_calendars = BUSINESS_CALENDARS
    users = list_field("user", User, UserFilter, UserOrder, "name", "Users.", True)
    teams = list_field("team", Team, TeamFilter, TeamOrder, "name", "Teams.")
    api_clients = API_CLIENTS
    webhook_endpoints = list_field(
        "webhook_endpoint",
        WebhookEndpoint,
        WebhookEndpointFilter,
        EndpointOrder,
        "created_at",
        "Webhook endpoints, with their deliveries and attempts (webhooks:manage).",
    )
    audit_log = list_field(
        "audit_entry",
        AuditEntry,
        AuditEntryFilter,
        AuditEntryOrder,
        "occurred_at",
        "Every change, sign-in failure and API-client change (audit:read). Append-only.",
    )
    automation_rules = list_field(
        "automation_rule",
        AutomationRule,
        AutomationRuleFilter,
        AutomationRuleOrder,
        "name",
        "Marketing automation rules.",
        True,
    )
    automation_runs = list_field(
        "automation_run",
        AutomationRun,
        AutomationRunFilter,
        AutomationRunOrder,
        "created_at",
        "Runs of automation rules: one per rule and triggering event.",
    )
    export_personal_data = EXPORT_PERSONAL_DATA
    connections = CONNECTIONS
    connectors = CONNECTORS
    sales_funnel = SALES_FUNNEL
    sales_forecast = SALES_FORECAST
    win_loss = WIN_LOSS
    pipeline_velocity = PIPELINE_VELOCITY
    kb_articles = list_field(
        "kb_article",
        KbArticle,
        KbArticleFilter,
        KbArticleOrder,
        "title",
        "Knowledge base articles (drafts and the trash for knowledge:write only).",
    )
    search_kb_articles = SEARCH_KB_ARTICLES
    suggested_kb_articles = SUGGESTED_KB_ARTICLES
    kb_articles_for_ticket = KB_ARTICLES_FOR_TICKET
    service_report = SERVICE_REPORT
    import_job = IMPORT_JOB
    export_job = EXPORT_JOB
