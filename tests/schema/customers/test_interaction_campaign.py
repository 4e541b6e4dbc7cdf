"""Interactions name the campaign they belong to: the touches attribution counts."""

from __future__ import annotations

import uuid
from types import SimpleNamespace
from typing import Any

from tests.conftest import GraphQLClient
from tests.factories import gid

CREATE = """
mutation($input: CreateInteractionInput!) {
  createInteraction(input: $input) {
    interaction { campaign { name } } errors { code field }
  }
}
"""


async def test_an_interaction_records_its_campaign(gql: GraphQLClient, make: Any) -> None:
    contact = await make.contact()
    campaign = await make.campaign(name="Webinar March")

    data = await gql(
        CREATE,
        {
            "input": {
                "kind": "MEETING",
                "occurredAt": "2026-03-01T10:00:00Z",
                "subject": "Webinar visit",
                "contactId": gid("Contact", contact),
                "campaignId": gid("Campaign", campaign),
            }
        },
    )

    assert data["createInteraction"] == {
        "interaction": {"campaign": {"name": "Webinar March"}},
        "errors": [],
    }


async def test_an_unknown_campaign_is_an_invalid_reference(gql: GraphQLClient, make: Any) -> None:
    contact = await make.contact()
    missing = gid("Campaign", SimpleNamespace(id=uuid.uuid4()))

    data = await gql(
        CREATE,
        {
            "input": {
                "kind": "MEETING",
                "occurredAt": "2026-03-01T10:00:00Z",
                "subject": "Webinar visit",
                "contactId": gid("Contact", contact),
                "campaignId": missing,
            }
        },
    )

    assert data["createInteraction"]["interaction"] is None
    assert data["createInteraction"]["errors"] == [
        {"code": "INVALID_REFERENCE", "field": ["input", "campaignId"]}
    ]
