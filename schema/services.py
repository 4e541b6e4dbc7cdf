"""Calling a service from a mutation: one unit of work, expected failures as typed errors."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from kernel.errors import ErrorCode, InvalidArgumentError, ServiceError
from kernel.errors import UserError as ServiceUserError
from kernel.filtering import ForbiddenFilterError
from kernel.principal import Principal
from kernel.unit_of_work import unit_of_work
from schema.context import Info
from schema.errors import UserError, user_errors
from schema.ids import decode_id_of

R = TypeVar("R")
Action = Callable[[AsyncSession, Principal], Awaitable[R]]


async def run_service(
    info: Info, action: Action[R], at: tuple[str, ...] = ("input",)
) -> R | list[UserError]:
    """The action's result, committed; or the errors of a refused request, nothing written.

    Error paths start with ``at``: `("input",)` for a mutation taking one input object,
    `()` for one whose arguments the service's field names already are.
    """
    try:
        async with unit_of_work(info.context.session_factory) as session:
            return await action(session, info.context.principal)
    except ServiceError as exc:
        return user_errors(exc.errors, at)
    except ForbiddenFilterError as exc:
        return user_errors([exc.user_error()], at)
    except InvalidArgumentError as exc:
        refused = ServiceUserError(ErrorCode.VALIDATION, str(exc), (exc.argument,))
        return user_errors([refused], at)


def node_pk(global_id: str, type_name: str, *path: str) -> uuid.UUID:
    """The primary key inside a global id of ``type_name``; NOT_FOUND at ``path`` (by default
    `id`) otherwise."""
    at = path or ("id",)
    try:
        return decode_id_of(global_id, type_name, at[0])
    except InvalidArgumentError as exc:
        raise ServiceError.single(ErrorCode.NOT_FOUND, str(exc), *at) from exc
