"""The privacy API: consents on contacts, phone lookup, export, and who may use them."""

from __future__ import annotations

from typing import Any

import httpx

from app.http.auth import issue_token
from kernel.principal import Principal, PrincipalKind
from tests.conftest import GraphQLClient
from tests.factories import gid

RECORD = """mutation($input: RecordConsentInput!) { recordConsent(input: $input) {
  consent { purpose granted source recordedBy } errors { code field } } }"""
CONSENTS = """query($id: ID!) { node(id: $id) { ... on Contact {
  marketingOptIn optInSource
  consents { totalCount nodes { purpose granted source } }
  currentConsents { purpose granted source } } } }"""
EXPORT = """query($id: ID!) { exportPersonalData(contactId: $id) { contactId document } }"""


def _as(http: httpx.AsyncClient, settings: Any, role: str) -> GraphQLClient:
    principal = Principal(f"op-{role}", PrincipalKind.OPERATOR, role=role)
    return GraphQLClient(http, issue_token(settings, principal))


async def _record(gql: Any, contact: Any, purpose: str, granted: bool, source: str) -> Any:
    variables = {
        "input": {
            "contactId": gid("Contact", contact),
            "purpose": purpose,
            "granted": granted,
            "source": source,
        }
    }
    return (await gql(RECORD, variables))["recordConsent"]


async def test_record_consent_answers_with_the_consent(gql: Any, make: Any) -> None:
    contact = await make.contact()

    payload = await _record(gql, contact, "PROFILING", True, "app settings")

    assert payload == {
        "consent": {
            "purpose": "PROFILING",
            "granted": True,
            "source": "app settings",
            "recordedBy": "operator:tests",
        },
        "errors": [],
    }


async def test_record_consent_for_an_unknown_contact_is_not_found(gql: Any) -> None:
    from models import Contact

    payload = await _record(gql, Contact(), "PROFILING", True, "x")

    assert payload == {
        "consent": None,
        "errors": [{"code": "NOT_FOUND", "field": ["input", "contactId"]}],
    }


async def test_consents_list_the_history_newest_first_and_the_current_per_purpose(
    gql: Any, make: Any
) -> None:
    contact = await make.contact()
    await _record(gql, contact, "MARKETING_EMAIL", True, "web form")
    await _record(gql, contact, "PROFILING", True, "app")
    await _record(gql, contact, "MARKETING_EMAIL", False, "unsubscribe link")

    data = await gql(CONSENTS, {"id": gid("Contact", contact)})

    assert data["node"] == {
        "marketingOptIn": False,
        "optInSource": "unsubscribe link",
        "consents": {
            "totalCount": 3,
            "nodes": [
                {"purpose": "MARKETING_EMAIL", "granted": False, "source": "unsubscribe link"},
                {"purpose": "PROFILING", "granted": True, "source": "app"},
                {"purpose": "MARKETING_EMAIL", "granted": True, "source": "web form"},
            ],
        },
        "currentConsents": [
            {"purpose": "MARKETING_EMAIL", "granted": False, "source": "unsubscribe link"},
            {"purpose": "PROFILING", "granted": True, "source": "app"},
        ],
    }


async def test_consents_of_a_page_of_contacts_cost_one_statement_per_field(
    gql: Any, make: Any, count_statements: Any
) -> None:
    query = """{ contacts(first: 20) { nodes { consents { nodes { purpose } }
      currentConsents { purpose } } } }"""
    for _ in range(5):
        contact = await make.contact()
        await make.consent(contact_id=contact.id)
        await make.consent(contact_id=contact.id, purpose="profiling")

    with count_statements() as counter:
        await gql(query)

    # the contacts page, their consents, their current consents
    assert counter.count == 3


async def test_contacts_filter_by_phone_whatever_its_formatting(gql: Any, make: Any) -> None:
    await make.contact(first_name="Ada", phone="+49 30 1234567")
    await make.contact(first_name="Bob", phone="+49 30 7654321")

    data = await gql(
        """{ a: contacts(filter: {phone: {eq: "+49 (30) 123-4567"}}) { nodes { firstName } }
             b: contacts(filter: {phone: {in: ["+493076543 21", "0"]}}) { nodes { firstName } } }"""
    )

    assert (data["a"]["nodes"], data["b"]["nodes"]) == (
        [{"firstName": "Ada"}],
        [{"firstName": "Bob"}],
    )


async def test_export_needs_privacy_manage(
    http: httpx.AsyncClient, settings: Any, make: Any
) -> None:
    contact = await make.contact()
    manager = _as(http, settings, "sales_manager")

    errors = await manager.errors(EXPORT, {"id": gid("Contact", contact)})

    assert [error["extensions"]["code"] for error in errors] == ["FORBIDDEN"]


async def test_erasure_needs_privacy_manage(
    http: httpx.AsyncClient, settings: Any, make: Any
) -> None:
    contact = await make.contact()
    manager = _as(http, settings, "sales_manager")

    errors = await manager.errors(
        "mutation($id: ID!) { erasePersonalData(contactId: $id) { errors { code } } }",
        {"id": gid("Contact", contact)},
    )

    assert [error["extensions"]["code"] for error in errors] == ["FORBIDDEN"]


async def test_export_of_an_unknown_contact_is_null(gql: Any) -> None:
    from models import Contact

    data = await gql(EXPORT, {"id": gid("Contact", Contact())})

    assert data["exportPersonalData"] is None
