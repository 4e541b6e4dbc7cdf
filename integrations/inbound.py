"""Applying an inbound batch: each record in a savepoint of one transaction, answered one by
one, with the batch remembered by its message id so a replay is answered, not applied again."""

from __future__ import annotations

import logging
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from integrations.context import ApplyContext, ConnectionInfo
from integrations.records import InboundRecord, Outcome, RecordResult, StaleRecordError
from integrations.registry import get_connector
from kernel.crud import validation_errors
from kernel.errors import ErrorCode, ServiceError, UserError
from kernel.principal import Principal, PrincipalKind
from kernel.tables import table_of
from kernel.unit_of_work import unit_of_work
from models import utcnow
from models.integrations import Connection, InboundMessage

logger = logging.getLogger("crm.integrations")
connections = table_of(Connection)
messages = table_of(InboundMessage)


@dataclass(frozen=True)
class BatchResult:
    message_id: str | None
    replayed: bool
    results: list[dict[str, Any]]

    def summary(self) -> dict[str, int]:
        counts = Counter(result["outcome"] for result in self.results)
        return {outcome.value: counts.get(outcome.value, 0) for outcome in Outcome}


def connection_principal(connection: Any) -> Principal:
    """Who applies a connection's records: audited and evented as the connection itself."""
    return Principal(
        subject=f"{connection.connector}/{connection.name}",
        kind=PrincipalKind.CONNECTION,
        role="admin",
        connection_id=connection.id,
    )


async def apply_batch(
    factory: async_sessionmaker[AsyncSession],
    connection_id: uuid.UUID,
    records: Sequence[Any],
    message_id: str | None = None,
    cursor: str | None = None,
) -> BatchResult:
    """Apply ``records`` for a connection in one transaction; a bad record is rejected alone.

    With a ``message_id`` seen before, nothing is applied and the first answer is returned.
    ``cursor`` (pull mode) is stored with the records it follows, in the same transaction.
    """
    async with unit_of_work(factory) as session:
        # Locking the connection serializes its batches: records land in the order they came.
        connection = (
            await session.execute(
                select(connections).where(connections.c.id == connection_id).with_for_update()
            )
        ).one()
        if message_id is not None:
            stored = await session.scalar(
                select(messages.c.results).where(
                    messages.c.connection_id == connection_id, messages.c.message_id == message_id
                )
            )
            if stored is not None:
                return BatchResult(message_id, True, stored)
        connector = get_connector(connection.connector)
        if connector is None:
            raise LookupError(f"connector {connection.connector!r} is not installed")
        context = ApplyContext(
            session,
            connection_principal(connection),
            ConnectionInfo(
                id=connection.id,
                name=connection.name,
                connector=connection.connector,
                settings=connector.settings(connection.settings),
                field_ownership=connection.field_ownership,
            ),
        )
        results = [
            (await _apply_one(context, connector.handlers, index, raw)).to_json()
            for index, raw in enumerate(records)
        ]
        batch = BatchResult(message_id, False, results)
        if message_id is not None:
            session.add(
                InboundMessage(connection_id=connection_id, message_id=message_id, results=results)
            )
        await _record_status(session, connection, batch, cursor)
    return batch


async def _apply_one(context: ApplyContext, handlers: Any, index: int, raw: Any) -> RecordResult:
    kind = raw.get("type") if isinstance(raw, dict) else None
    source_id = raw.get("id") if isinstance(raw, dict) else None
    try:
        record = InboundRecord.model_validate(raw)
    except ValidationError as exc:
        return _rejected(index, kind, source_id, validation_errors(exc))
    handler = handlers.get(record.type)
    if handler is None:
        error = UserError(ErrorCode.VALIDATION, f"unknown record type {record.type!r}", ("type",))
        return _rejected(index, kind, source_id, [error])
    try:
        async with context.session.begin_nested():
            applied = await handler(context, record)
    except StaleRecordError as exc:
        return RecordResult(
            index,
            record.type,
            record.id,
            Outcome.STALE,
            exc.entity_type,
            exc.entity_id,
            reason=str(exc),
        )
    except ServiceError as exc:
        return _rejected(index, kind, source_id, exc.errors)
    except Exception:
        # A connector's bug or a database refusal: this record is rejected, the batch goes on.
        error_id = uuid.uuid4().hex[:12]
        logger.exception("applying inbound record %s failed (error %s)", index, error_id)
        error = UserError(ErrorCode.INTERNAL, f"the record could not be applied (error {error_id})")
        return _rejected(index, kind, source_id, [error])
    return RecordResult(
        index,
        record.type,
        record.id,
        Outcome.APPLIED if applied.changed else Outcome.UNCHANGED,
        applied.entity_type,
        applied.entity_id,
        ignored=applied.ignored,
    )


def _rejected(index: int, kind: Any, source_id: Any, errors: Sequence[UserError]) -> RecordResult:
    return RecordResult(
        index,
        kind if isinstance(kind, str) else None,
        source_id if isinstance(source_id, str) else None,
        Outcome.REJECTED,
        reason="; ".join(error.message for error in errors),
        errors=tuple(errors),
    )


async def _record_status(
    session: AsyncSession, connection: Any, batch: BatchResult, cursor: str | None
) -> None:
    counts = batch.summary()
    now = utcnow()
    values: dict[str, Any] = {
        "last_received_at": now,
        "applied_count": connection.applied_count + counts["applied"],
        "unchanged_count": connection.unchanged_count + counts["unchanged"],
        "stale_count": connection.stale_count + counts["stale"],
        "rejected_count": connection.rejected_count + counts["rejected"],
    }
    if counts["applied"]:
        values["last_applied_at"] = now
    if counts["rejected"]:
        last = next(r for r in reversed(batch.results) if r["outcome"] == Outcome.REJECTED)
        values["last_error"] = f"record {last['index']} ({last['id']}): {last['reason']}"[:1000]
        values["last_error_at"] = now
    if cursor is not None:
        values["pull_cursor"] = cursor
        values["last_pulled_at"] = now
    await session.execute(
        update(connections).where(connections.c.id == connection.id).values(**values)
    )


async def purge_messages(session: AsyncSession, older_than: datetime) -> int:
    """Forget batch message ids received before ``older_than``; returns how many."""
    result = await session.execute(delete(messages).where(messages.c.received_at < older_than))
    return int(result.rowcount)  # type: ignore[attr-defined]
