"""Permission classes declared on fields: a scope per domain and verb."""

from __future__ import annotations

from functools import cache
from typing import Any

from strawberry.permission import BasePermission

from resolvers.permissions import Scope, has_scope


@cache
def requires(scope: Scope) -> type[BasePermission]:
    """A permission class that lets the field run only for principals holding ``scope``."""

    class RequiresScope(BasePermission):
        message = f"requires the {scope.value} scope"
        error_extensions = {"code": "FORBIDDEN", "scope": scope.value}

        def has_permission(self, source: Any, info: Any, **kwargs: Any) -> bool:
            return has_scope(info.context.principal, scope)

    RequiresScope.__name__ = f"Requires_{scope.name}"
    return RequiresScope
