"""The automation engine: reads the outbox in position order after a stored cursor and runs
the active rules each event triggers, after (never inside) the transaction that recorded it.

Delivery is at least once: a crash before the cursor moves reads events again. Runs are
idempotent: each (rule, event) gets one `AutomationRun`, written in the transaction of its
actions (UNIQUE (rule_id, event_id)), and every event's transaction first locks the cursor row,
so concurrent engines take turns and the second finds the run done.

Outbox positions are handed out before commit, so a transaction may commit an earlier position
after a later one is read. The cursor therefore only moves over a contiguous run of positions,
or past a gap once its next event is older than the settle time (a rolled-back transaction's
position never appears). Events past an open gap are still run right away; only the cursor waits.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kernel.errors import ServiceError
from kernel.filtering import compile_filter
from kernel.outbox import current_automation_depth
from kernel.principal import Principal, PrincipalKind
from kernel.tables import table_of
from kernel.unit_of_work import unit_of_work
from models import AutomationRule, AutomationRun, AutomationRunStatus, Event, StreamCursor, utcnow
from resolvers.campaigns.automation.actions import RunContext, run_action
from resolvers.campaigns.automation.rules import ConditionsCompiler
from resolvers.graph import SPECS

log = logging.getLogger("crm.automation")
CURSOR = "automation"
cursors = table_of(StreamCursor)
events = table_of(Event)
rules = table_of(AutomationRule)
runs = table_of(AutomationRun)


@dataclass(frozen=True)
class EngineSettings:
    max_depth: int = 3
    batch_size: int = 200
    settle: timedelta = timedelta(seconds=60)


def _active_rules() -> Any:
    return select(AutomationRule).where(rules.c.active.is_(True), rules.c.deleted_at.is_(None))


async def process_pending(
    session_factory: async_sessionmaker[AsyncSession],
    compile_conditions: ConditionsCompiler,
    settings: EngineSettings = EngineSettings(),
) -> int:
    """Run the rules of every event after the cursor, batch by batch; returns the runs made."""
    recorded = 0
    while True:
        start = await _cursor_position(session_factory)
        async with session_factory() as session:
            batch = (
                await session.execute(
                    select(events.c.position, events.c.type, events.c.occurred_at)
                    .where(events.c.position > start)
                    .order_by(events.c.position)
                    .limit(settings.batch_size)
                )
            ).all()
            triggers = set(
                await session.scalars(_active_rules().with_only_columns(rules.c.trigger))
            )
        made = 0
        for position, event_type, _ in batch:
            if event_type in triggers:
                made += await _process_event(
                    session_factory, position, compile_conditions, settings
                )
        recorded += made
        end = await _advance(session_factory, start, batch, settings.settle)
        # Runs may have recorded events of their own: read on until nothing more happens.
        if end == start and not made:
            return recorded


async def _cursor_position(session_factory: async_sessionmaker[AsyncSession]) -> int:
    async with session_factory() as session:
        position = await session.scalar(select(cursors.c.position).where(cursors.c.name == CURSOR))
    if position is not None:
        return int(position)
    try:
        async with unit_of_work(session_factory) as session:
            # The outbox as it is: from its first event (earlier ones were purged).
            first = await session.scalar(select(func.min(events.c.position)))
            session.add(StreamCursor(name=CURSOR, position=max(0, (first or 1) - 1)))
    except IntegrityError:
        pass  # another engine created it first
    return await _cursor_position(session_factory)


async def _advance(
    session_factory: async_sessionmaker[AsyncSession],
    start: int,
    batch: Sequence[Any],
    settle: timedelta,
) -> int:
    """Move the cursor over the contiguous (or settled) start of the batch; returns where to."""
    settled = utcnow() - settle
    end = start
    for position, _, occurred_at in batch:
        if position != end + 1 and occurred_at > settled:
            break
        end = position
    if end > start:
        async with unit_of_work(session_factory) as session:
            await session.execute(
                update(cursors)
                .where(cursors.c.name == CURSOR, cursors.c.position < end)
                .values(position=end, updated_at=utcnow())
            )
    return end


async def _process_event(
    session_factory: async_sessionmaker[AsyncSession],
    position: int,
    compile_conditions: ConditionsCompiler,
    settings: EngineSettings,
) -> int:
    """Run every active rule the event triggers that has not run for it yet, in one
    transaction holding the cursor row; returns the runs recorded."""
    async with unit_of_work(session_factory) as session:
        await session.execute(
            select(cursors.c.position).where(cursors.c.name == CURSOR).with_for_update()
        )
        event = await session.get(Event, position)
        if event is None:
            return 0
        done = set(await session.scalars(select(runs.c.rule_id).where(runs.c.event_id == event.id)))
        due = (
            await session.scalars(
                _active_rules()
                .where(rules.c.trigger == event.type, rules.c.created_at <= event.occurred_at)
                .order_by(rules.c.name)
            )
        ).all()
        count = 0
        for rule in due:
            if rule.id not in done:
                session.add(await _run_rule(session, rule, event, compile_conditions, settings))
                count += 1
        return count


async def _run_rule(
    session: AsyncSession,
    rule: AutomationRule,
    event: Event,
    compile_conditions: ConditionsCompiler,
    settings: EngineSettings,
) -> AutomationRun:
    rule_id, depth = rule.id, event.automation_depth
    run = AutomationRun(
        rule_id=rule_id,
        event_id=event.id,
        event_type=event.type,
        entity_id=event.entity_id,
        depth=depth,
        status=AutomationRunStatus.SUCCEEDED,
    )
    if depth >= settings.max_depth:
        run.status = AutomationRunStatus.STOPPED
        run.error = f"event is {depth} rule runs deep; the limit is {settings.max_depth}"
        return run
    principal = Principal(
        subject=f"automation:{rule.name}", kind=PrincipalKind.SYSTEM, role="admin"
    )
    token = current_automation_depth.set(depth + 1)
    try:
        # A savepoint: a failing action (or condition) undoes everything the run did, and a
        # database error leaves the transaction usable for writing the failed run.
        async with session.begin_nested():
            record = await _matching_record(session, rule, event, compile_conditions)
            if record is False:
                run.status = AutomationRunStatus.SKIPPED
            else:
                context = RunContext(
                    principal, rule, event, record if isinstance(record, Mapping) else None
                )
                run.actions_done = [await run_action(session, context, a) for a in rule.actions]
    except Exception as exc:  # any failure fails the run, and only the run
        run.status = AutomationRunStatus.FAILED
        run.actions_done = []
        run.error = _describe(exc)[:2000]
        log.info("automation run failed", extra={"rule_id": str(rule_id), "error": run.error})
    finally:
        current_automation_depth.reset(token)
    return run


async def _matching_record(
    session: AsyncSession,
    rule: AutomationRule,
    event: Event,
    compile_conditions: ConditionsCompiler,
) -> Mapping[str, Any] | bool:
    """The event's record if it meets the rule's conditions (True for records the graph does
    not hold, when there are no conditions); False if it does not."""
    spec = SPECS.get(event.entity_type)
    if spec is None:
        return not rule.conditions
    condition = compile_filter(spec, compile_conditions(event.entity_type, rule.conditions))
    row = (
        await session.execute(
            select(spec.table).where(spec.table.c.id == event.entity_id, condition)
        )
    ).one_or_none()
    return False if row is None else dict(row._mapping)


def _describe(exc: Exception) -> str:
    if isinstance(exc, ServiceError):
        return "; ".join(
            f"{'.'.join(error.field)}: {error.message}" if error.field else error.message
            for error in exc.errors
        )
    return f"{type(exc).__name__}: {exc}"
