"""Which webhook endpoints an event goes to: written as deliveries in the event's transaction."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.bus import Topic, touch
from kernel.tables import table_of
from models.events import Event
from models.integrations import Connection
from models.webhooks import EndpointState, WebhookDelivery, WebhookEndpoint

ENTITIES = (
    "customer",
    "contact",
    "deal",
    "campaign",
    "campaign_member",
    "segment",
    "ticket",
    "ticket_comment",
    "interaction",
    "purchase",
    "product",
)
ACTIONS = ("created", "updated", "deleted", "restored")

EVENT_TYPES: dict[str, str] = {
    **{
        f"{entity}.{action}": f"A {entity.replace('_', ' ')} was {action}."
        for entity in ENTITIES
        for action in ACTIONS
    },
    "deal.stage_changed": "A deal moved to another stage.",
    "deal.won": "A deal moved to a won stage.",
    "deal.lost": "A deal moved to a lost stage.",
    "deal.reopened": "A won or lost deal moved back to an open stage.",
    "pipeline.created": "A pipeline was created (its stages each get `stage.created`).",
    "pipeline.updated": "A pipeline was renamed or made the default (or stopped being it).",
    "stage.created": "A stage was added to a pipeline.",
    "stage.updated": "A stage changed: name, probability, kind, forecast category, order, "
    "retired or restored.",
    "lost_reason.created": "A lost reason was added.",
    "lost_reason.updated": "A lost reason was renamed, reordered, deactivated or reactivated.",
    "exchange_rate.created": "An exchange rate was set for a currency pair and date.",
    "exchange_rate.updated": "The exchange rate of a currency pair and date was replaced.",
    **{
        f"campaign_member.{status}": f"A campaign member's status became {status} "
        "(besides `campaign_member.updated`)."
        for status in (
            "sent",
            "opened",
            "clicked",
            "responded",
            "converted",
            "bounced",
            "unsubscribed",
        )
    },
    "ticket.assigned": "A ticket got a new assignee.",
    "ticket.status_changed": "A ticket's status changed.",
    "ticket.resolved": "A ticket was resolved.",
    "ticket.sla_breached": "A ticket missed an SLA target (first response or resolution); "
    "once per ticket and target.",
    "ticket.rated": "A customer rated a resolved or closed ticket (CSAT 1 to 5).",
    "business_calendar.created": "A business calendar was created.",
    "business_calendar.updated": "A business calendar's hours, holidays, zone or name changed.",
    "business_calendar.deleted": "A business calendar no SLA policy used was deleted.",
    **{
        f"sla_policy.{action}": f"An SLA policy was {action} (its targets are in the policy)."
        for action in ACTIONS
    },
    "contact.erased": "A contact's personal data was erased; drop what you hold about them.",
    "contact.consent_changed": "A contact granted or withdrew a consent.",
    "webhook_endpoint.disabled": "An endpoint was disabled after failing for too long.",
    "user.created": "A user was created (e.g. an employee synced from the HRM).",
    "user.updated": "A user changed (name, title, team, manager, role or active).",
    "user.deactivated": "A user left: deactivated, tokens refused, open work reassigned.",
    "team.created": "A team was created.",
    "team.updated": "A team was renamed.",
    **{
        f"kb_article.{action}": f"A knowledge base article was {action}."
        for action in ("created", "updated", "deleted", "restored", "published")
    },
    "import.completed": "A bulk import finished (not a dry run): one event for the whole file.",
}


def is_valid_pattern(pattern: str) -> bool:
    """`*`, `<entity>.*` or a known event type."""
    if pattern == "*" or pattern in EVENT_TYPES:
        return True
    prefix, _, rest = pattern.partition(".")
    return rest == "*" and any(event.startswith(prefix + ".") for event in EVENT_TYPES)


def matches(patterns: Iterable[str], event_type: str) -> bool:
    """Whether a subscription (patterns such as `*`, `deal.*`, `customer.created`) covers a type."""
    for pattern in patterns:
        if pattern in ("*", event_type):
            return True
        if pattern.endswith(".*") and event_type.startswith(pattern[:-1]):
            return True
    return False


async def route_events(session: AsyncSession, events: Sequence[Event]) -> None:
    """Add one pending delivery per (event, enabled endpoint subscribed to it); the event bus's
    router for webhooks. Dispatchers are told once the transaction commits.

    An endpoint that feeds a connection does not get the changes that came from that
    connection back, unless the connection asks for echoes.
    """
    if not events:
        return
    await session.flush()  # the events get their outbox positions
    endpoints = table_of(WebhookEndpoint)
    connections = table_of(Connection)
    rows = (
        await session.execute(
            select(endpoints.c.id, endpoints.c.event_types, endpoints.c.connection_id)
            .outerjoin(
                connections,
                (connections.c.id == endpoints.c.connection_id) & connections.c.echo,
            )
            .add_columns(connections.c.id.is_not(None).label("echo"))
            .where(endpoints.c.state == EndpointState.ENABLED)
        )
    ).all()
    deliveries = [
        WebhookDelivery(
            event_position=event.position,  # type: ignore[arg-type]
            event_id=event.id,
            endpoint_id=endpoint_id,
            entity_id=event.entity_id,
        )
        for event in events
        for endpoint_id, patterns, feeds, echo in rows
        if matches(patterns, event.type)
        and (echo or feeds is None or feeds != event.source_connection_id)
    ]
    session.add_all(deliveries)
    if deliveries:
        touch(session, Topic.DELIVERIES)
