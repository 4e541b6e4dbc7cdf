"""Field ownership between the CRM and the external systems its records are linked to.

A connection declares, per entity, fields it owns (`"source"`: only it changes them) and fields
the CRM owns (`"crm"`: it may set them when it creates a record, never overwrite them). `"*"`
stands for every field of the entity.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.errors import ErrorCode, ServiceError, UserError
from kernel.principal import Principal
from kernel.tables import table_of
from models.integrations import Connection, ExternalRef

connections = table_of(Connection)
refs = table_of(ExternalRef)


class Owner(StrEnum):
    SOURCE = "source"
    CRM = "crm"


def fields_owned_by(
    ownership: Mapping[str, Mapping[str, str]], entity: str, owner: Owner, names: Iterable[str]
) -> set[str]:
    """Those of ``names`` that ``owner`` owns on ``entity`` under one connection's ownership."""
    declared = ownership.get(entity, {})
    everything = declared.get("*") == owner
    return {
        name
        for name in names
        if declared.get(name) == owner or (everything and name not in declared)
    }


async def check_ownership(
    session: AsyncSession,
    principal: Principal,
    entity: str,
    row_id: uuid.UUID,
    changed: Iterable[str],
) -> None:
    """FIELD_OWNED for each changed field that a connection the row is linked to owns,
    unless the change comes through that connection."""
    names = set(changed)
    if not names:
        return
    owners = (
        await session.execute(
            select(connections.c.id, connections.c.name, connections.c.field_ownership).where(
                connections.c.id.in_(
                    select(refs.c.connection_id).where(
                        refs.c.entity_type == entity, refs.c.entity_id == row_id
                    )
                )
            )
        )
    ).all()
    errors = [
        UserError(
            ErrorCode.FIELD_OWNED,
            f"{name} is owned by the connection {connection_name!r}: change it there",
            (name,),
        )
        for connection_id, connection_name, ownership in owners
        if connection_id != principal.connection_id
        for name in sorted(fields_owned_by(ownership, entity, Owner.SOURCE, names))
    ]
    if errors:
        raise ServiceError(errors)
