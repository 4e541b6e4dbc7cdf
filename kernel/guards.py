"""Write guards: checks every change to an existing record must pass before it is written.

A guard belongs to the domain that has the reason (field ownership of linked external systems
is `integrations.ownership`); `app.wiring.install` installs them once per process, and writing
before that fails, so a process that was not wired cannot skip them.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Collection

from sqlalchemy.ext.asyncio import AsyncSession

from kernel.principal import Principal

WriteGuard = Callable[[AsyncSession, Principal, str, uuid.UUID, Collection[str]], Awaitable[None]]
"""``guard(session, principal, entity, row_id, changed_fields)``: raises ServiceError to refuse."""

_guards: tuple[WriteGuard, ...] | None = None


def install_write_guards(*guards: WriteGuard) -> None:
    global _guards
    _guards = guards


async def check_write(
    session: AsyncSession,
    principal: Principal,
    entity: str,
    row_id: uuid.UUID,
    changed: Collection[str],
) -> None:
    """Run every guard on a change of ``changed`` fields of one record."""
    if _guards is None:
        raise RuntimeError("write guards are not installed: call app.wiring.install() first")
    for guard in _guards:
        await guard(session, principal, entity, row_id, changed)
