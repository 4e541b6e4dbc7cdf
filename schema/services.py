"""Calling a service from a mutation: one unit of work, expected failures as typed errors."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from kernel.errors import ErrorCode, InvalidArgumentError, ServiceError
from kernel.filtering import ForbiddenFilterError
from kernel.principal import Principal
from kernel.unit_of_work import unit_of_work
from schema.context import Info
from schema.errors import UserError, user_errors
from schema.ids import decode_id_of

R = TypeVar("R")


async def run_service(
    info: Info, action: Callable[[AsyncSession, Principal], Awaitable[R]]
) -> R | list[UserError]:
    """The action's result, committed; or the errors of a refused request, nothing written."""
    try:
        async with unit_of_work(info.context.session_factory) as session:
            return await action(session, info.context.principal)
    except ServiceError as exc:
        return user_errors(exc.errors)
    except ForbiddenFilterError as exc:
        return user_errors([exc.user_error()])


def node_pk(global_id: str, type_name: str) -> Any:
    """The primary key inside a global id of ``type_name``; NOT_FOUND (at `id`) otherwise."""
    try:
        return decode_id_of(global_id, type_name)
    except InvalidArgumentError as exc:
        raise ServiceError.single(ErrorCode.NOT_FOUND, str(exc), "id") from exc
