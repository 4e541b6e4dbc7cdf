"""Permission classes declared on fields: a scope per domain and verb."""

from __future__ import annotations

from functools import cache
from typing import Any

from strawberry.permission import BasePermission

from kernel.permissions import READ_SCOPES, WRITE_SCOPES, Scope, has_scope


@cache
def requires(scope: Scope) -> type[BasePermission]:
    """A permission class that lets the field run only for principals holding ``scope``."""

    class RequiresScope(BasePermission):
        required = scope
        message = f"requires the {scope.value} scope"
        error_extensions = {"code": "FORBIDDEN", "scope": scope.value}

        def has_permission(self, source: Any, info: Any, **kwargs: Any) -> bool:
            return has_scope(info.context.principal, scope)

    RequiresScope.__name__ = f"Requires_{scope.name}"
    return RequiresScope


def can_see_pii(info: Any) -> bool:
    return has_scope(info.context.principal, Scope.PII_READ)


def can_read(type_key: str) -> list[type[BasePermission]]:
    """The permission classes of a field that returns objects of ``type_key``."""
    return [requires(READ_SCOPES[type_key])]


def can_write(entity: str) -> list[type[BasePermission]]:
    """The permission classes of a mutation that writes ``entity``."""
    return [requires(WRITE_SCOPES[entity])]
