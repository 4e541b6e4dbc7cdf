"""The audit log writer: entries commit, or roll back, with the change they describe."""

from __future__ import annotations

import uuid
from contextvars import ContextVar
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from kernel.outbox import current_request_id
from kernel.principal import Principal
from models.audit import AuditEntry

current_client_ip: ContextVar[str | None] = ContextVar("current_client_ip", default=None)


def record_audit(
    session: AsyncSession,
    principal: Principal | None,
    action: str,
    entity_type: str | None = None,
    entity_id: uuid.UUID | None = None,
    changes: dict[str, Any] | None = None,
    actor: str | None = None,
) -> AuditEntry:
    """Add an audit entry (actor, action, entity, changed fields) to the session."""
    entry = AuditEntry(
        actor=actor or (principal.actor if principal else "anonymous"),
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        changes=changes,
        request_id=current_request_id.get(),
        client_ip=current_client_ip.get(),
    )
    session.add(entry)
    return entry
