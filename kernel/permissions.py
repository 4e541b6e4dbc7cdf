"""What each role may do: scopes per domain and verb, and who sees which rows."""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache

from kernel.principal import Principal, PrincipalKind


class Scope(StrEnum):
    CUSTOMERS_READ = "customers:read"
    CUSTOMERS_WRITE = "customers:write"
    CONTACTS_READ = "contacts:read"
    CONTACTS_WRITE = "contacts:write"
    INTERACTIONS_READ = "interactions:read"
    INTERACTIONS_WRITE = "interactions:write"
    PURCHASES_READ = "purchases:read"
    PURCHASES_WRITE = "purchases:write"
    DEALS_READ = "deals:read"
    DEALS_WRITE = "deals:write"
    # Pipelines, stages, lost reasons, products and exchange rates.
    SALES_MANAGE = "sales:manage"
    CAMPAIGNS_READ = "campaigns:read"
    CAMPAIGNS_WRITE = "campaigns:write"
    TICKETS_READ = "tickets:read"
    TICKETS_WRITE = "tickets:write"
    # SLA policies, business calendars and teams' ticket assignment.
    SERVICE_MANAGE = "service:manage"
    KNOWLEDGE_READ = "knowledge:read"
    KNOWLEDGE_WRITE = "knowledge:write"
    # Bulk import (also needs the type's write scope) and export (also its read scope).
    DATA_IMPORT = "data:import"
    DATA_EXPORT = "data:export"
    USERS_READ = "users:read"
    PII_READ = "pii:read"
    WEBHOOKS_MANAGE = "webhooks:manage"
    CLIENTS_MANAGE = "clients:manage"
    AUDIT_READ = "audit:read"
    PRIVACY_MANAGE = "privacy:manage"
    CONNECTORS_MANAGE = "connectors:manage"
    INTROSPECTION = "introspection"


ALL_SCOPES = frozenset(Scope)
_READ_ALL = frozenset(scope for scope in Scope if scope.value.endswith(":read")) - {
    Scope.AUDIT_READ
}


def _scopes(*names: str) -> frozenset[Scope]:
    return frozenset(Scope(name) for name in names)


ROLE_SCOPES: dict[str, frozenset[Scope]] = {
    "admin": ALL_SCOPES,
    "sales_manager": _READ_ALL
    | _scopes(
        "customers:write",
        "contacts:write",
        "interactions:write",
        "purchases:write",
        "deals:write",
        "tickets:write",
        "sales:manage",
    ),
    "sales_rep": _READ_ALL
    | _scopes(
        "customers:write",
        "contacts:write",
        "interactions:write",
        "deals:write",
    ),
    "marketing": _READ_ALL | _scopes("contacts:write", "campaigns:write", "interactions:write"),
    "support": _scopes(
        "customers:read",
        "contacts:read",
        "tickets:read",
        "tickets:write",
        "knowledge:read",
        "knowledge:write",
        "interactions:read",
        "interactions:write",
        "users:read",
        "pii:read",
    ),
    "read_only": _READ_ALL - {Scope.PII_READ},
}


@lru_cache(maxsize=4096)
def effective_scopes(principal: Principal) -> frozenset[str]:
    """Users and operators get their role's scopes; API clients the scopes they were granted."""
    if principal.kind is PrincipalKind.CLIENT:
        return principal.scopes
    role_scopes = ROLE_SCOPES.get(principal.role or "", frozenset())
    return frozenset(scope.value for scope in role_scopes) | principal.scopes


def has_scope(principal: Principal, scope: Scope | str) -> bool:
    return str(scope) in effective_scopes(principal)


# The scope that reading each type of the graph needs.
READ_SCOPES: dict[str, Scope] = {
    "team": Scope.USERS_READ,
    "user": Scope.USERS_READ,
    "customer": Scope.CUSTOMERS_READ,
    "contact": Scope.CONTACTS_READ,
    "consent": Scope.CONTACTS_READ,
    "interaction": Scope.INTERACTIONS_READ,
    "purchase": Scope.PURCHASES_READ,
    "purchase_line": Scope.PURCHASES_READ,
    "pipeline": Scope.DEALS_READ,
    "stage": Scope.DEALS_READ,
    "deal": Scope.DEALS_READ,
    "deal_stage_change": Scope.DEALS_READ,
    "deal_line_item": Scope.DEALS_READ,
    "lost_reason": Scope.DEALS_READ,
    "product": Scope.DEALS_READ,
    "product_price": Scope.DEALS_READ,
    "exchange_rate": Scope.DEALS_READ,
    "campaign": Scope.CAMPAIGNS_READ,
    "campaign_member": Scope.CAMPAIGNS_READ,
    "campaign_cost": Scope.CAMPAIGNS_READ,
    "segment": Scope.CAMPAIGNS_READ,
    "ticket": Scope.TICKETS_READ,
    "ticket_comment": Scope.TICKETS_READ,
    "sla_policy": Scope.TICKETS_READ,
    "sla_target": Scope.TICKETS_READ,
    "sla_breach": Scope.TICKETS_READ,
    "business_calendar": Scope.TICKETS_READ,
    "audit_entry": Scope.AUDIT_READ,
    "api_client": Scope.CLIENTS_MANAGE,
    "webhook_endpoint": Scope.WEBHOOKS_MANAGE,
    "webhook_delivery": Scope.WEBHOOKS_MANAGE,
    "webhook_attempt": Scope.WEBHOOKS_MANAGE,
    "event": Scope.WEBHOOKS_MANAGE,
    "connection": Scope.CONNECTORS_MANAGE,
    "automation_rule": Scope.CAMPAIGNS_READ,
    "automation_run": Scope.CAMPAIGNS_READ,
    "kb_article": Scope.KNOWLEDGE_READ,
}


def missing_read_scope(principal: Principal, type_key: str) -> str | None:
    """The scope ``principal`` lacks to read records of ``type_key``, or None."""
    scope = READ_SCOPES.get(type_key)
    return None if scope is None or has_scope(principal, scope) else scope.value


# The scope that writing each entity needs.
WRITE_SCOPES: dict[str, Scope] = {
    "customer": Scope.CUSTOMERS_WRITE,
    "contact": Scope.CONTACTS_WRITE,
    "interaction": Scope.INTERACTIONS_WRITE,
    "purchase": Scope.PURCHASES_WRITE,
    "deal": Scope.DEALS_WRITE,
    "pipeline": Scope.SALES_MANAGE,
    "stage": Scope.SALES_MANAGE,
    "lost_reason": Scope.SALES_MANAGE,
    "product": Scope.SALES_MANAGE,
    "exchange_rate": Scope.SALES_MANAGE,
    "campaign": Scope.CAMPAIGNS_WRITE,
    "campaign_member": Scope.CAMPAIGNS_WRITE,
    "segment": Scope.CAMPAIGNS_WRITE,
    "ticket": Scope.TICKETS_WRITE,
    "ticket_comment": Scope.TICKETS_WRITE,
    "sla_policy": Scope.SERVICE_MANAGE,
    "business_calendar": Scope.SERVICE_MANAGE,
    # Marketing automation; each action also needs the scope of what it writes.
    "automation_rule": Scope.CAMPAIGNS_WRITE,
    "kb_article": Scope.KNOWLEDGE_WRITE,
}
