"""What each role may do: scopes per domain and verb, and who sees which rows."""

from __future__ import annotations

from enum import StrEnum

from resolvers.principal import Principal, PrincipalKind


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
    CAMPAIGNS_READ = "campaigns:read"
    CAMPAIGNS_WRITE = "campaigns:write"
    TICKETS_READ = "tickets:read"
    TICKETS_WRITE = "tickets:write"
    USERS_READ = "users:read"
    PII_READ = "pii:read"
    WEBHOOKS_MANAGE = "webhooks:manage"
    CLIENTS_MANAGE = "clients:manage"
    AUDIT_READ = "audit:read"
    PRIVACY_MANAGE = "privacy:manage"
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
        "interactions:read",
        "interactions:write",
        "users:read",
        "pii:read",
    ),
    "read_only": _READ_ALL - {Scope.PII_READ},
}


def effective_scopes(principal: Principal) -> frozenset[str]:
    """Users and operators get their role's scopes; API clients the scopes they were granted."""
    if principal.kind is PrincipalKind.CLIENT:
        return principal.scopes
    role_scopes = ROLE_SCOPES.get(principal.role or "", frozenset())
    return frozenset(scope.value for scope in role_scopes) | principal.scopes


def has_scope(principal: Principal, scope: Scope | str) -> bool:
    return str(scope) in effective_scopes(principal)
