"""Subscriptions name event types, with `*` and `<entity>.*` wildcards."""

from tests.conftest import ROOT
from webhooks.routing import EVENT_TYPES, is_valid_pattern, matches


def test_catalogue_has_every_entity_event_and_the_domain_events() -> None:
    for entity in (
        "customer",
        "contact",
        "deal",
        "campaign",
        "campaign_member",
        "ticket",
        "interaction",
        "purchase",
    ):
        for action in ("created", "updated", "deleted", "restored"):
            assert f"{entity}.{action}" in EVENT_TYPES
    for event in (
        "deal.stage_changed",
        "deal.won",
        "deal.lost",
        "ticket.assigned",
        "ticket.status_changed",
        "ticket.resolved",
        "contact.erased",
        "webhook_endpoint.disabled",
    ):
        assert event in EVENT_TYPES


def test_wildcards_match_by_entity() -> None:
    assert matches(["deal.*"], "deal.won")
    assert not matches(["deal.*"], "customer.created")
    assert matches(["*"], "ticket.resolved")
    assert matches(["customer.created", "ticket.*"], "ticket.assigned")


def test_unknown_patterns_are_invalid() -> None:
    assert is_valid_pattern("deal.*")
    assert is_valid_pattern("customer.updated")
    assert not is_valid_pattern("dael.*")
    assert not is_valid_pattern("customer.exploded")


def test_every_catalogued_event_has_an_example_in_the_docs() -> None:
    docs = (ROOT / "docs" / "webhooks.md").read_text()

    missing = [event for event in EVENT_TYPES if f"`{event}`:" not in docs]

    assert missing == []
