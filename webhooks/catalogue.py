"""The events receivers can subscribe to, and how subscriptions with wildcards match them."""

from __future__ import annotations

from collections.abc import Iterable

ENTITIES = (
    "customer",
    "contact",
    "deal",
    "campaign",
    "campaign_member",
    "ticket",
    "ticket_comment",
    "interaction",
    "purchase",
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
    "ticket.assigned": "A ticket got a new assignee.",
    "ticket.status_changed": "A ticket's status changed.",
    "ticket.resolved": "A ticket was resolved.",
    "contact.erased": "A contact's personal data was erased; drop what you hold about them.",
    "webhook_endpoint.disabled": "An endpoint was disabled after failing for too long.",
}


def is_valid_pattern(pattern: str) -> bool:
    """`*`, `<entity>.*` or a known event type."""
    if pattern == "*" or pattern in EVENT_TYPES:
        return True
    prefix, _, rest = pattern.partition(".")
    return rest == "*" and any(event.startswith(prefix + ".") for event in EVENT_TYPES)


def matches(patterns: Iterable[str], event_type: str) -> bool:
    """Whether a subscription (a list of patterns) covers an event type."""
    for pattern in patterns:
        if pattern in ("*", event_type):
            return True
        if pattern.endswith(".*") and event_type.startswith(pattern[:-1]):
            return True
    return False
