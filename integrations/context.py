"""What a connector's handler works with: the connection, its session, and the one way to
land a record in the CRM (by the source's id, skipping stale versions, honouring ownership)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from integrations.ownership import Owner, fields_owned_by
from integrations.records import Applied, InboundRecord, StaleRecordError
from kernel.crud import EntityRules, create_entity, set_deleted, update_entity
from kernel.errors import ErrorCode, ServiceError
from kernel.principal import Principal
from kernel.tables import table_of
from models.integrations import ExternalRef

refs = table_of(ExternalRef)


@dataclass(frozen=True)
class ConnectionInfo:
    id: uuid.UUID
    name: str
    connector: str
    settings: Any
    field_ownership: Mapping[str, Mapping[str, str]]


@dataclass
class ApplyContext:
    session: AsyncSession
    principal: Principal
    connection: ConnectionInfo

    async def resolve(self, entity_type: str, external_id: str) -> uuid.UUID | None:
        """The CRM id of the record this source knows as ``external_id``."""
        return await self.session.scalar(
            select(refs.c.entity_id).where(
                refs.c.connection_id == self.connection.id,
                refs.c.entity_type == entity_type,
                refs.c.external_id == external_id,
            )
        )

    async def require(self, entity_type: str, external_id: str, field: str) -> uuid.UUID:
        """Like `resolve`, but INVALID_REFERENCE (at ``field``) when the source never sent it."""
        found = await self.resolve(entity_type, external_id)
        if found is None:
            raise ServiceError.single(
                ErrorCode.INVALID_REFERENCE,
                f"no {entity_type} with id {external_id!r} from this connection",
                "data",
                field,
            )
        return found

    async def upsert(
        self,
        rules: EntityRules[Any],
        record: InboundRecord,
        values: Mapping[str, Any],
        external_id: str | None = None,
        match: uuid.UUID | None = None,
        paths: Mapping[str, tuple[str, ...]] | None = None,
    ) -> Applied:
        """Create or update the CRM record the source knows as ``external_id`` (default: the
        record's id), or soft-delete it when the record says so.

        A record older than the last applied one raises `StaleRecordError`; fields the CRM
        owns are not overwritten. ``match`` links an existing CRM record the source does not
        know yet (e.g. a user found by email). Errors about a value point into the record:
        `data.<field>`, or `data.<paths[field]>` where the record nests it.
        """
        try:
            return await self._upsert(rules, record, values, external_id, match)
        except ServiceError as exc:
            raise ServiceError(
                [
                    replace(error, field=("data", *(paths or {}).get(error.field[0], error.field)))
                    if error.field and error.field[0] in values
                    else error
                    for error in exc.errors
                ]
            ) from exc

    async def _upsert(
        self,
        rules: EntityRules[Any],
        record: InboundRecord,
        values: Mapping[str, Any],
        external_id: str | None,
        match: uuid.UUID | None,
    ) -> Applied:
        entity = rules.entity
        external_id = external_id or record.id
        ref = (
            await self.session.execute(
                select(refs.c.id, refs.c.entity_id, refs.c.source_updated_at).where(
                    refs.c.connection_id == self.connection.id,
                    refs.c.entity_type == entity,
                    refs.c.external_id == external_id,
                )
            )
        ).one_or_none()
        if ref is not None and _is_stale(record.updated_at, ref.source_updated_at):
            raise StaleRecordError(entity, ref.entity_id, ref.source_updated_at)
        target = ref.entity_id if ref is not None else match
        if target is None:
            if record.deleted:
                raise ServiceError.single(
                    ErrorCode.NOT_FOUND, f"no {entity} from this connection to delete", "id"
                )
            row = await create_entity(self.session, self.principal, rules, values)
            self.session.add(
                ExternalRef(
                    connection_id=self.connection.id,
                    entity_type=entity,
                    external_id=external_id,
                    entity_id=row.id,
                    source_updated_at=record.updated_at,
                )
            )
            return Applied(entity, row.id, changed=True)
        if ref is None:
            self.session.add(
                ExternalRef(
                    connection_id=self.connection.id,
                    entity_type=entity,
                    external_id=external_id,
                    entity_id=target,
                    source_updated_at=record.updated_at,
                )
            )
        elif record.updated_at is not None:
            await self.session.execute(
                update(refs).where(refs.c.id == ref.id).values(source_updated_at=record.updated_at)
            )
        if record.deleted:
            return await self._delete(rules, target)
        ignored = fields_owned_by(self.connection.field_ownership, entity, Owner.CRM, values)
        kept = {name: value for name, value in values.items() if name not in ignored}
        table = table_of(rules.model)
        before = await self.session.scalar(select(table.c.version).where(table.c.id == target))
        row = await update_entity(self.session, self.principal, rules, target, kept)
        changed = row.version != before  # the version moves only when a field did
        return Applied(entity, target, changed=changed, ignored=tuple(sorted(ignored)))

    async def _delete(self, rules: EntityRules[Any], target: uuid.UUID) -> Applied:
        table = table_of(rules.model)
        deleted_at = await self.session.scalar(
            select(table.c.deleted_at).where(table.c.id == target)
        )
        if deleted_at is not None:
            return Applied(rules.entity, target, changed=False)
        await set_deleted(self.session, self.principal, rules, target, deleted=True)
        return Applied(rules.entity, target, changed=True)


def _is_stale(incoming: datetime | None, stored: datetime | None) -> bool:
    return incoming is not None and stored is not None and incoming < stored
