"""Each automation action type, run by the engine through the entities' write paths."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from kernel.tables import table_of
from models import AuditEntry, CampaignMember, Contact, Event, Interaction, Ticket
from models.webhooks import WebhookDelivery, WebhookEndpoint
from resolvers.campaigns.automation.engine import process_pending
from schema.campaigns.automation import conditions_filter
from tests.resolvers.campaigns.test_automation_engine import all_runs


async def rows(session_factory: Any, model: Any, **where: Any) -> list[Any]:
    table = table_of(model)
    async with session_factory() as session:
        statement = select(table).where(*(table.c[name] == value for name, value in where.items()))
        return list((await session.execute(statement)).all())


async def test_add_to_campaign_adds_the_contact_as_targeted(
    make: Any, session_factory: Any
) -> None:
    campaign = await make.campaign()
    await make.automation_rule(actions=[{"type": "add_to_campaign", "campaign_id": campaign.id}])
    contact = await make.contact(marketing_opt_in=True)

    await process_pending(session_factory, conditions_filter)

    [member] = await rows(session_factory, CampaignMember, campaign_id=campaign.id)
    assert (member.contact_id, member.status) == (contact.id, "targeted")


async def test_add_to_campaign_skips_a_contact_without_marketing_consent(
    make: Any, session_factory: Any
) -> None:
    campaign = await make.campaign()
    await make.automation_rule(actions=[{"type": "add_to_campaign", "campaign_id": campaign.id}])
    await make.contact(marketing_opt_in=False)

    await process_pending(session_factory, conditions_filter)

    assert await rows(session_factory, CampaignMember) == []
    [run] = await all_runs(session_factory)
    assert run.status == "succeeded"
    assert run.actions_done[0]["skipped"] == "no marketing consent"


async def test_set_field_is_evented_and_audited_as_the_rule(
    make: Any, session_factory: Any
) -> None:
    rule = await make.automation_rule(name="Title leads")
    contact = await make.contact()

    await process_pending(session_factory, conditions_filter)

    [update] = await rows(session_factory, Event, entity_id=contact.id, type="contact.updated")
    assert update.payload["changes"]["title"] == {"old": None, "new": "Lead"}
    assert update.automation_depth == 1
    audit = await rows(session_factory, AuditEntry, entity_id=contact.id, action="contact.updated")
    assert [entry.actor for entry in audit] == [f"system:automation:{rule.name}"]


async def test_assign_owner_takes_the_team_in_turns(make: Any, session_factory: Any) -> None:
    team = await make.team()
    anna = await make.user(team_id=team.id, name="Anna")
    bob = await make.user(team_id=team.id, name="Bob")
    await make.user(team_id=team.id, name="Carl", active=False)
    await make.automation_rule(actions=[{"type": "assign_owner", "team_id": team.id}])
    contacts = [await make.contact() for _ in range(3)]

    await process_pending(session_factory, conditions_filter)

    async with session_factory() as session:
        owners = [(await session.get(Contact, c.id)).owner_id for c in contacts]
    assert owners == [anna.id, bob.id, anna.id]


async def test_create_interaction_adds_a_note_to_the_contact(
    make: Any, session_factory: Any
) -> None:
    customer = await make.customer()
    await make.automation_rule(
        actions=[{"type": "create_interaction", "kind": "note", "subject": "Welcome call"}]
    )
    contact = await make.contact(customer_id=customer.id)

    await process_pending(session_factory, conditions_filter)

    [note] = await rows(session_factory, Interaction, contact_id=contact.id)
    assert (note.kind, note.subject, note.customer_id) == ("note", "Welcome call", customer.id)


async def test_create_ticket_opens_one_for_the_record(make: Any, session_factory: Any) -> None:
    customer = await make.customer()
    await make.automation_rule(
        trigger="deal.created",
        actions=[{"type": "create_ticket", "subject": "Onboard", "priority": "high"}],
    )
    await make.pipeline()
    await make.deal(customer_id=customer.id)

    await process_pending(session_factory, conditions_filter)

    [ticket] = await rows(session_factory, Ticket, customer_id=customer.id)
    assert (ticket.subject, ticket.priority, ticket.status) == ("Onboard", "high", "new")


async def test_notify_webhook_queues_the_triggering_event_for_the_endpoint(
    make: Any, session_factory: Any
) -> None:
    endpoint = await make._add(
        WebhookEndpoint(url="http://127.0.0.1:9/hook", event_types=["deal.*"], secret="whsec_x")
    )
    await make.automation_rule(actions=[{"type": "notify_webhook", "endpoint_id": endpoint.id}])
    contact = await make.contact()

    await process_pending(session_factory, conditions_filter)

    [delivery] = await rows(session_factory, WebhookDelivery, endpoint_id=endpoint.id)
    [event] = await rows(session_factory, Event, entity_id=contact.id, type="contact.created")
    assert (delivery.event_id, delivery.status) == (event.id, "pending")
