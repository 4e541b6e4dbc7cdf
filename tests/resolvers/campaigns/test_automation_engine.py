"""The automation engine: rules run from the outbox once per (rule, event), after the fact."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from kernel.crud import update_entity
from kernel.principal import SYSTEM
from kernel.tables import table_of
from kernel.unit_of_work import unit_of_work
from models import AutomationRun, CampaignMember, Contact, Event, StreamCursor
from resolvers.campaigns.automation.engine import CURSOR, EngineSettings, process_pending
from resolvers.customers.service import CONTACT_RULES
from schema.campaigns.automation import conditions_filter
from tests.factories import gid

runs = table_of(AutomationRun)


async def run_engine(session_factory: Any, **settings: Any) -> int:
    return await process_pending(session_factory, conditions_filter, EngineSettings(**settings))


async def all_runs(session_factory: Any) -> list[Any]:
    async with session_factory() as session:
        return list((await session.execute(select(runs).order_by(runs.c.depth))).all())


async def contact(session_factory: Any, contact_id: Any) -> Any:
    async with session_factory() as session:
        row = await session.get(Contact, contact_id)
        assert row is not None
        return row


async def test_a_rule_runs_once_for_its_event(make: Any, session_factory: Any) -> None:
    await make.automation_rule(trigger="contact.created")
    created = await make.contact()

    assert await run_engine(session_factory) == 1
    assert await run_engine(session_factory) == 0

    [run] = await all_runs(session_factory)
    assert (run.status, run.entity_id, run.depth) == ("succeeded", created.id, 0)
    assert run.actions_done == [{"type": "set_field", "field": "title"}]
    assert (await contact(session_factory, created.id)).title == "Lead"


async def test_concurrent_engines_record_one_run_and_one_side_effect(
    make: Any, session_factory: Any
) -> None:
    campaign = await make.campaign()
    rule = {"type": "add_to_campaign", "campaign_id": campaign.id}
    await make.automation_rule(trigger="contact.created", actions=[rule])
    await make.contact(marketing_opt_in=True)

    counts = await asyncio.gather(*(run_engine(session_factory) for _ in range(3)))

    assert sum(counts) == 1
    assert len(await all_runs(session_factory)) == 1
    members = table_of(CampaignMember)
    async with session_factory() as session:
        found = await session.scalars(select(members.c.id))
        assert len(list(found)) == 1


async def test_a_replayed_stream_runs_nothing_again(make: Any, session_factory: Any) -> None:
    await make.automation_rule(trigger="contact.created")
    await make.contact()
    await run_engine(session_factory)

    async with unit_of_work(session_factory) as session:
        cursor = await session.get(StreamCursor, CURSOR)
        assert cursor is not None
        assert cursor.position > 0
        cursor.position = 0  # as if the engine crashed before moving the cursor

    assert await run_engine(session_factory) == 0
    assert len(await all_runs(session_factory)) == 1


async def test_a_record_not_matching_the_conditions_gets_a_skipped_run(
    make: Any, session_factory: Any
) -> None:
    await make.automation_rule(conditions={"firstName": {"eq": "Grace"}})
    created = await make.contact(first_name="Ada")

    await run_engine(session_factory)

    [run] = await all_runs(session_factory)
    assert run.status == "skipped"
    assert (await contact(session_factory, created.id)).title is None


async def test_conditions_follow_relations_like_the_api_filter(
    make: Any, session_factory: Any
) -> None:
    await make.automation_rule(conditions={"customer": {"name": {"eq": "Acme"}}})
    acme = await make.customer(name="Acme")
    await make.contact(customer_id=acme.id)
    await make.contact()

    await run_engine(session_factory)

    statuses = sorted(run.status for run in await all_runs(session_factory))
    assert statuses == ["skipped", "succeeded"]


async def test_a_rule_ignores_events_from_before_it_existed(
    make: Any, session_factory: Any
) -> None:
    await make.contact()
    await make.automation_rule(trigger="contact.created")

    assert await run_engine(session_factory) == 0


async def test_an_inactive_rule_does_not_run(make: Any, session_factory: Any) -> None:
    await make.automation_rule(active=False)
    await make.contact()

    assert await run_engine(session_factory) == 0


async def test_a_loop_is_stopped_at_the_depth_limit(make: Any, session_factory: Any) -> None:
    team = await make.team()
    await make.user(team_id=team.id, name="A")
    await make.user(team_id=team.id, name="B")
    # Each run gives the contact another owner, which is a new `contact.updated`.
    await make.automation_rule(
        trigger="contact.updated", actions=[{"type": "assign_owner", "team_id": team.id}]
    )
    created = await make.contact()
    async with unit_of_work(session_factory) as session:
        await update_entity(session, SYSTEM, CONTACT_RULES, created.id, {"title": "CEO"})

    await run_engine(session_factory, max_depth=3)

    found = [(run.depth, run.status) for run in await all_runs(session_factory)]
    assert found == [(0, "succeeded"), (1, "succeeded"), (2, "succeeded"), (3, "stopped")]
    assert await run_engine(session_factory, max_depth=3) == 0


async def test_a_failed_action_leaves_no_partial_effects(make: Any, session_factory: Any) -> None:
    team = await make.team()  # no users: assigning an owner fails
    await make.automation_rule(
        actions=[
            {"type": "set_field", "field": "title", "value": "Lead"},
            {"type": "assign_owner", "team_id": team.id},
        ]
    )
    created = await make.contact()

    await run_engine(session_factory)

    [run] = await all_runs(session_factory)
    assert run.status == "failed"
    assert run.actions_done == []
    assert "no active users" in run.error
    assert (await contact(session_factory, created.id)).title is None


async def test_the_cursor_waits_at_a_fresh_gap_but_later_events_still_run(
    make: Any, session_factory: Any
) -> None:
    await make.automation_rule(trigger="contact.created")
    await make.contact()
    await run_engine(session_factory)
    async with session_factory() as session:
        before = (await session.get(StreamCursor, CURSOR)).position
    later = await make.contact()
    async with unit_of_work(session_factory) as session:
        # As if a transaction holding the next positions had not committed yet.
        event = await session.scalar(select(Event).where(Event.entity_id == later.id))
        assert event is not None
        event.position = before + 5

    await run_engine(session_factory)

    async with session_factory() as session:
        assert (await session.get(StreamCursor, CURSOR)).position == before
    assert len(await all_runs(session_factory)) == 2
    await run_engine(session_factory, settle=timedelta(0))
    async with session_factory() as session:
        cursor = await session.get(StreamCursor, CURSOR)
        assert cursor is not None
        assert cursor.position >= before + 5


async def test_conditions_take_global_ids_like_the_api_filter(
    make: Any, session_factory: Any
) -> None:
    acme = await make.customer(name="Acme")
    await make.automation_rule(conditions={"customerId": {"eq": gid("Customer", acme)}})
    await make.contact(customer_id=acme.id)
    await make.contact()

    await run_engine(session_factory)

    statuses = sorted(run.status for run in await all_runs(session_factory))
    assert statuses == ["skipped", "succeeded"]
