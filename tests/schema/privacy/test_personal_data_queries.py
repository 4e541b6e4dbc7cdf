"""Masked means unqueryable: without `pii:read`, contact email and phone can be neither
filtered, searched, segmented nor used in conditions; related types need their read scope."""

from __future__ import annotations

import string
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from kernel.tables import table_of
from models import AutomationRule, ExportJob, Segment
from tests.conftest import GraphQLClient
from tests.factories import gid
from tests.schema.test_permissions import partner_with, role_client

COUNT = """query($f: ContactFilter) { contacts(filter: $f) { totalCount } }"""
SEGMENT = """mutation($input: CreateSegmentInput!) {
  createSegment(input: $input) { segment { id } errors { code field message } } }"""
SEGMENT_COUNT = """query($id: ID!) { node(id: $id) { ... on Segment { count } } }"""
RULE = """mutation($input: CreateAutomationRuleInput!) {
  createAutomationRule(input: $input) { automationRule { id } errors { code field } } }"""
EXPORT = """mutation($input: StartExportInput!) {
  startExport(input: $input) { exportJob { id } errors { code field } } }"""
ADD = """mutation($input: AddCampaignMembersInput!) {
  addCampaignMembers(input: $input) { added { contact { id } } errors { code field } } }"""


@pytest.fixture
def read_only(http: httpx.AsyncClient, settings: Any) -> GraphQLClient:
    return role_client(http, settings, "read_only")


def _forbidden(errors: list[dict[str, Any]]) -> list[tuple[str, list[str], str]]:
    return [
        (e["extensions"]["code"], e["extensions"]["field"], e["extensions"]["scope"])
        for e in errors
    ]


async def test_recovering_an_email_one_character_at_a_time_is_refused(
    read_only: GraphQLClient, make: Any
) -> None:
    contact = await make.contact(email="per@example.com")
    learned = ""
    answers: list[dict[str, Any]] = []
    for character in "pe" + string.ascii_lowercase:
        guess = {
            "id": {"eq": gid("Contact", contact)},
            "email": {"startsWith": learned + character},
        }
        body = (await read_only.raw(COUNT, {"f": guess})).json()
        answers.append(body)
        if (body.get("data") or {}).get("contacts", {}).get("totalCount") == 1:
            learned += character

    assert learned == ""
    assert all(body["data"] is None for body in answers)
    assert {error["extensions"]["code"] for body in answers for error in body["errors"]} == {
        "FORBIDDEN"
    }


async def test_email_filter_without_pii_read_is_forbidden_at_its_argument_path(
    read_only: GraphQLClient,
) -> None:
    errors = await read_only.errors(COUNT, {"f": {"email": {"startsWith": "p"}}})

    assert _forbidden(errors) == [("FORBIDDEN", ["filter", "email"], "pii:read")]
    assert errors[0]["extensions"]["argument"] == "filter"
    assert errors[0]["path"] == ["contacts"]


async def test_phone_filter_without_pii_read_is_forbidden(read_only: GraphQLClient) -> None:
    errors = await read_only.errors(COUNT, {"f": {"phone": {"in": ["+49 30 1234567"]}}})

    assert _forbidden(errors) == [("FORBIDDEN", ["filter", "phone"], "pii:read")]


async def test_email_inside_or_and_not_is_forbidden_at_its_nested_path(
    read_only: GraphQLClient,
) -> None:
    filter_ = {"or": [{"lastName": {"eq": "x"}}, {"not": {"email": {"contains": "@"}}}]}

    errors = await read_only.errors(COUNT, {"f": filter_})

    assert _forbidden(errors) == [("FORBIDDEN", ["filter", "or", "1", "not", "email"], "pii:read")]


@pytest.mark.parametrize(
    ("query", "path"),
    [
        (
            '{ customers(filter: {contacts: {some: {email: {startsWith: "p"}}}}) { totalCount } }',
            ["filter", "contacts", "some", "email"],
        ),
        (
            '{ customers(filter: {contacts: {none: {phone: {eq: "1"}}}}) { totalCount } }',
            ["filter", "contacts", "none", "phone"],
        ),
        (
            '{ deals(filter: {contact: {email: {startsWith: "p"}}}) { totalCount } }',
            ["filter", "contact", "email"],
        ),
        (
            '{ tickets(filter: {contact: {email: {startsWith: "p"}}}) { totalCount } }',
            ["filter", "contact", "email"],
        ),
        (
            '{ campaignMembers(filter: {contact: {phone: {eq: "1"}}}) { totalCount } }',
            ["filter", "contact", "phone"],
        ),
        (
            '{ interactions(filter: {contact: {email: {eq: "p@example.com"}}}) { totalCount } }',
            ["filter", "contact", "email"],
        ),
    ],
)
async def test_personal_data_reached_through_a_relation_filter_is_forbidden(
    read_only: GraphQLClient, query: str, path: list[str]
) -> None:
    errors = await read_only.errors(query)

    assert _forbidden(errors) == [("FORBIDDEN", path, "pii:read")]


async def test_email_filter_on_a_nested_connection_is_forbidden_and_runs_no_statement_for_it(
    read_only: GraphQLClient, make: Any, count_statements: Any
) -> None:
    customer = await make.customer()
    await make.contact(customer_id=customer.id, email="per@example.com")
    query = (
        '{ customers { nodes { contacts(filter: {email: {startsWith: "p"}}) { totalCount } } } }'
    )

    with count_statements() as counter:
        errors = await read_only.errors(query)

    assert _forbidden(errors) == [("FORBIDDEN", ["filter", "email"], "pii:read")]
    assert errors[0]["path"] == ["customers", "nodes", 0, "contacts"]
    assert all("contacts.email" not in statement for statement in counter.statements)


async def test_search_without_pii_read_does_not_match_email(
    read_only: GraphQLClient, make: Any
) -> None:
    await make.contact(first_name="Ada", last_name="Lovelace", email="zq-secret@example.com")

    data = await read_only(
        """{ byEmail: contacts(search: "zq-secret") { totalCount }
             byName: contacts(search: "lovelace") { totalCount } }"""
    )

    assert data == {"byEmail": {"totalCount": 0}, "byName": {"totalCount": 1}}


async def test_search_with_pii_read_matches_email(gql: GraphQLClient, make: Any) -> None:
    await make.contact(first_name="Ada", last_name="Lovelace", email="zq-secret@example.com")

    data = await gql('{ contacts(search: "zq-secret") { totalCount } }')

    assert data == {"contacts": {"totalCount": 1}}


async def test_pii_read_may_filter_on_email(gql: GraphQLClient, make: Any) -> None:
    await make.contact(email="per@example.com")

    data = await gql(COUNT, {"f": {"email": {"startsWith": "per"}}})

    assert data == {"contacts": {"totalCount": 1}}


async def test_relation_filter_into_a_type_without_its_read_scope_is_forbidden(
    make: Any, http: httpx.AsyncClient, settings: Any
) -> None:
    partner = await partner_with(make, http, settings, "customers:read")

    errors = await partner.errors(
        "{ customers(filter: {deals: {some: {amount: {gt: 1000}}}}) { totalCount } }"
    )

    assert _forbidden(errors) == [("FORBIDDEN", ["filter", "deals"], "deals:read")]


async def test_segment_on_email_without_pii_read_is_refused_and_not_saved(
    make: Any, http: httpx.AsyncClient, settings: Any, session_factory: Any
) -> None:
    marketer = await partner_with(
        make, http, settings, "campaigns:read", "campaigns:write", "contacts:read"
    )
    segment = {"name": "P", "entityType": "CONTACT", "filter": {"email": {"startsWith": "p"}}}

    data = await marketer(SEGMENT, {"input": segment})

    assert data["createSegment"]["segment"] is None
    assert [(e["code"], e["field"]) for e in data["createSegment"]["errors"]] == [
        ("FORBIDDEN", ["input", "filter", "email"])
    ]
    async with session_factory() as session:
        assert await session.scalar(select(func.count()).select_from(table_of(Segment))) == 0


async def test_segment_saved_on_email_cannot_be_counted_without_pii_read(
    gql: GraphQLClient, read_only: GraphQLClient, make: Any
) -> None:
    await make.contact(email="per@example.com")
    segment = {"name": "P", "entityType": "CONTACT", "filter": {"email": {"startsWith": "p"}}}
    created = await gql(SEGMENT, {"input": segment})

    errors = await read_only.errors(
        SEGMENT_COUNT, {"id": created["createSegment"]["segment"]["id"]}
    )

    assert _forbidden(errors) == [("FORBIDDEN", ["filter", "email"], "pii:read")]


async def test_automation_condition_on_email_without_pii_read_is_refused(
    make: Any, http: httpx.AsyncClient, settings: Any, session_factory: Any
) -> None:
    scopes = ("campaigns:read", "campaigns:write", "contacts:read", "contacts:write")
    marketer = await partner_with(make, http, settings, *scopes)
    rule = {
        "name": "Welcome",
        "trigger": "contact.created",
        "conditions": {"email": {"contains": "@acme.com"}},
        "actions": [{"type": "SET_FIELD", "field": "title", "value": "Lead"}],
    }

    data = await marketer(RULE, {"input": rule})

    assert data["createAutomationRule"] == {
        "automationRule": None,
        "errors": [{"code": "FORBIDDEN", "field": ["input", "conditions", "email"]}],
    }
    async with session_factory() as session:
        count = select(func.count()).select_from(table_of(AutomationRule))
        assert await session.scalar(count) == 0


async def test_export_filtered_on_email_without_pii_read_is_refused(
    make: Any, http: httpx.AsyncClient, settings: Any, session_factory: Any
) -> None:
    exporter = await partner_with(make, http, settings, "data:export", "contacts:read")
    export = {"type": "CONTACTS", "filter": {"email": {"startsWith": "p"}}}

    data = await exporter(EXPORT, {"input": export})

    assert data["startExport"] == {
        "exportJob": None,
        "errors": [{"code": "FORBIDDEN", "field": ["input", "filter", "email"]}],
    }
    async with session_factory() as session:
        assert await session.scalar(select(func.count()).select_from(table_of(ExportJob))) == 0


async def test_adding_campaign_members_by_an_email_filter_without_pii_read_is_refused(
    make: Any, http: httpx.AsyncClient, settings: Any
) -> None:
    campaign = await make.campaign()
    await make.opted_in_contact(email="per@example.com")
    marketer = await partner_with(
        make, http, settings, "campaigns:read", "campaigns:write", "contacts:read"
    )
    selection = {"campaignId": gid("Campaign", campaign), "filter": {"email": {"contains": "p"}}}

    data = await marketer(ADD, {"input": selection})

    assert data["addCampaignMembers"] == {
        "added": [],
        "errors": [{"code": "FORBIDDEN", "field": ["input", "filter", "email"]}],
    }
