"""Typed errors: `UserError` in mutation payloads, `extensions.code` on GraphQL errors."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Any

import strawberry
from graphql import GraphQLError

from kernel.errors import ErrorCode as ServiceErrorCode
from kernel.errors import InvalidArgumentError
from kernel.errors import UserError as ServiceUserError
from kernel.filtering import ForbiddenFilterError

ErrorCode = strawberry.enum(
    ServiceErrorCode, name="ErrorCode", description="Why a mutation did not apply."
)


class RequestErrorCode(StrEnum):
    """`extensions.code` of errors that reject a whole request or field."""

    BAD_USER_INPUT = "BAD_USER_INPUT"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    NOT_FOUND = "NOT_FOUND"
    LIMIT_EXCEEDED = "LIMIT_EXCEEDED"
    RATE_LIMITED = "RATE_LIMITED"
    GRAPHQL_PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
    GRAPHQL_VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"
    IDEMPOTENCY_IN_PROGRESS = "IDEMPOTENCY_IN_PROGRESS"
    INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR"


@strawberry.type(description="An expected failure of a mutation: nothing was changed.")
class UserError:
    code: ServiceErrorCode = strawberry.field(description="Machine-readable reason.")
    message: str = strawberry.field(description="Human-readable explanation.")
    field: list[str] | None = strawberry.field(
        description='Path of the offending argument, e.g. ["input", "email"].'
    )


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


_TOP_LEVEL = {"id", "expectedVersion"}


def user_errors(
    errors: list[ServiceUserError], prefix: tuple[str, ...] = ("input",)
) -> list[UserError]:
    """Service errors as payload errors, with field paths in the API's camelCase names."""
    result = []
    for error in errors:
        path: list[str] | None = None
        if error.field:
            parts = [camel(part) for part in error.field]
            path = parts if parts[0] in _TOP_LEVEL and prefix == ("input",) else [*prefix, *parts]
        result.append(UserError(code=error.code, message=error.message, field=path))
    return result


_ARGUMENT = re.compile(r"[a-z][a-zA-Z0-9]*$")


def bad_input(exc: InvalidArgumentError) -> GraphQLError:
    """A field error for an argument that cannot be used (bad id, cursor or page size), or
    FORBIDDEN with the argument's path for a filter on what the principal may not read."""
    if isinstance(exc, ForbiddenFilterError):
        return GraphQLError(
            str(exc),
            extensions={
                "code": RequestErrorCode.FORBIDDEN.value,
                "scope": exc.scope,
                "argument": exc.argument,
                "field": [camel(part) for part in exc.path],
            },
        )
    extensions: dict[str, Any] = {"code": RequestErrorCode.BAD_USER_INPUT.value}
    if _ARGUMENT.match(exc.argument):
        extensions["argument"] = exc.argument
    return GraphQLError(str(exc), extensions=extensions)
