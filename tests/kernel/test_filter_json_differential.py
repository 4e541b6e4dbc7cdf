"""The kernel's JSON filter codec against the API's reading of the same JSON (graphql-core and
strawberry over the main schema): the same Filter for what both accept, a refusal by both for
the rest."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLScalarType,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kernel.filter_json import InvalidFilterError, encode_filter
from kernel.ids import encode_id
from resolvers.filter_inputs import FILTER_INPUTS, read_filter
from tests.kernel.graphql_filters import RefusedError, graphql_filter, input_type

REFUSED = "refused"
ROW = uuid.UUID("6f1c2b7a-0d7e-4a8e-9a43-2b2f5a8c9d01")
OTHER = uuid.UUID("00000000-0000-4000-8000-000000000000")


def _type_name(type_key: str) -> str:
    return "".join(part.title() for part in type_key.split("_"))


def _both(type_key: str, value: Any) -> tuple[Any, Any]:
    try:
        reference: Any = graphql_filter(_type_name(type_key), value)
    except RefusedError:
        reference = REFUSED
    try:
        read: Any = read_filter(type_key, value)
    except InvalidFilterError:
        read = REFUSED
    return read, reference


VALID: list[tuple[str, dict[str, Any]]] = [
    ("contact", {}),
    ("contact", {"email": {"contains": "@example.com"}, "lastName": {"startsWith": "Lo"}}),
    ("contact", {"firstName": {"in": ["Ada", "Grace"], "notIn": "Alan", "ne": None}}),
    ("contact", {"customerId": {"eq": encode_id("Customer", ROW)}, "ownerId": {"isNull": True}}),
    ("contact", {"id": {"in": [encode_id("Contact", ROW), encode_id("Deal", OTHER)]}}),
    ("contact", {"phone": {"eq": "+49 30 1234"}, "marketingOptIn": {"eq": True}}),
    ("contact", {"createdAt": {"gte": "2026-01-01T00:00:00Z", "lt": "2026-02-01T00:00:00+01:00"}}),
    ("contact", {"customer": {"lifecycleStage": {"eq": "CUSTOMER"}, "employees": {"gt": 50}}}),
    ("contact", {"campaignMemberships": {"some": {"status": {"in": ["RESPONDED", "CONVERTED"]}}}}),
    ("contact", {"deals": {"none": {"amount": {"gte": "1000.50"}}, "some": None}}),
    ("contact", {"or": [{"email": {"isNull": True}}, {"not": {"externalId": {"eq": "x"}}}]}),
    ("contact", {"and": {"deletedAt": {"isNull": True}}, "not": None}),
    ("customer", {"name": {"eq": None}, "domain": {"lte": "m"}, "city": None}),
    ("customer", {"creditStatus": {"ne": "BLOCKED"}, "lifecycleStage": {"notIn": ["LEAD"]}}),
    ("customer", {"employees": {"in": [1, 2.0], "lt": 2147483647}}),
    ("customer", {"owner": {"role": {"eq": "SALES_REP"}, "team": {"name": {"eq": "EMEA"}}}}),
    ("customer", {"tickets": {"some": {"priority": {"eq": "URGENT"}, "comments": {"none": {}}}}}),
    ("customer", {"purchases": {"some": {"totalAmount": {"gt": 12.5}, "kind": {"isNull": False}}}}),
    ("customer", {"interactions": {"some": {"kind": {"eq": "CALL"}, "contact": {}}}}),
    ("deal", {"amount": {"gt": "99.99", "lte": 1000}, "currency": {"eq": "EUR"}}),
    ("deal", {"expectedCloseDate": {"gte": "2026-03-01", "lt": "2026-04-01"}}),
    ("deal", {"stage": {"kind": {"eq": "WON"}, "pipeline": {"name": {"eq": "Default"}}}}),
    ("deal", {"campaign": {"members": {"some": {"contact": {"email": {"eq": "a@b.c"}}}}}}),
    ("deal", {"lostReason": {"active": {"eq": False}}, "closedAt": {"isNull": False}}),
    ("interaction", {"occurredAt": {"gt": "2026-01-01T09:00:00.123456+02:00"}}),
    ("purchase", {"status": {"in": "PAID"}, "deal": {"name": {"contains": "%_"}}}),
    ("ticket", {"status": {"ne": "CLOSED"}, "assignee": {"active": {"eq": True}}}),
    ("ticket", {"firstResponseDue": {"lt": "2026-01-01T00:00:00Z"}, "team": None}),
    (
        "campaign_member",
        {"campaign": {"channel": {"eq": "EMAIL"}, "startsOn": {"lte": "2026-01-31"}}},
    ),
    ("campaign", {"parent": {"status": {"eq": "ACTIVE"}}, "deals": {"some": {}}}),
    ("kb_article", {"status": {"eq": "PUBLISHED"}, "or": [{"title": {"contains": "x"}}]}),
    ("consent", {"purpose": {"eq": "MARKETING_EMAIL"}, "granted": {"eq": True}}),
    ("automation_run", {"status": {"eq": "FAILED"}, "ruleId": {"eq": encode_id("X", ROW)}}),
    ("audit_entry", {"entityId": {"eq": encode_id("Deal", ROW)}, "actor": {"gte": "user:"}}),
    ("segment", {"kind": {"eq": "STATIC"}, "deletedAt": {"isNull": True}}),
]

INVALID: list[tuple[str, Any]] = [
    ("contact", {"nme": {"eq": "x"}}),
    ("contact", {"customer": {"city": {"equals": "Berlin"}}}),
    ("contact", {"createdAt": {"gte": "soon"}}),
    ("contact", {"createdAt": {"gte": "2026-01-01T00:00:00"}}),
    ("contact", {"phone": {"contains": "49"}}),
    ("contact", {"email": {"eq": 5}}),
    ("contact", {"email": "a@b.c"}),
    ("contact", {"firstName": {"in": ["a", None]}}),
    ("contact", {"id": {"eq": "not-an-id"}}),
    ("contact", {"id": {"eq": 1234}}),
    ("contact", {"id": {"in": [encode_id("Contact", ROW), "QQ=="]}}),
    ("contact", {"marketingOptIn": {"eq": "yes"}}),
    ("contact", {"or": [None]}),
    ("contact", {"and": [{"nope": {}}]}),
    ("contact", {"deals": {"any": {}}}),
    ("contact", {"deals": {"some": {"amount": {"gt": "lots"}}}}),
    ("customer", {"lifecycleStage": {"eq": "lead"}}),
    ("customer", {"lifecycleStage": {"eq": 1}}),
    ("customer", {"employees": {"gt": 1.5}}),
    ("customer", {"employees": {"gt": 2147483648}}),
    ("customer", {"employees": {"gt": True}}),
    ("customer", {"employees": {"gt": "3"}}),
    ("customer", {"owner": {"team": {"createdAt": {"eq": "2026-13-01T00:00:00Z"}}}}),
    ("deal", {"expectedCloseDate": {"eq": "2026-02-30"}}),
    ("deal", {"expectedCloseDate": {"eq": 20260101}}),
    ("deal", {"amount": {"eq": "1,5"}}),
    ("deal", {"amount": {"eq": True}}),
    ("deal", {"stage": {"or": []}}),
    ("deal", {"firstName": {"eq": "Ada"}}),
    ("segment", {"owner": {}}),
    ("customer", ["name"]),
    ("customer", "name"),
]


@pytest.mark.parametrize(("type_key", "value"), VALID)
def test_a_valid_filter_reads_as_the_api_reads_it(type_key: str, value: dict[str, Any]) -> None:
    read, reference = _both(type_key, value)

    assert reference != REFUSED
    assert read == reference


@pytest.mark.parametrize(("type_key", "value"), INVALID)
def test_an_invalid_filter_is_refused_as_the_api_refuses_it(type_key: str, value: Any) -> None:
    assert _both(type_key, value) == (REFUSED, REFUSED)


# --- generated: JSON built from the GraphQL input types, valid or not ---

_GLOBAL_IDS = st.builds(encode_id, st.sampled_from(["Contact", "Deal", "X"]), st.uuids())
_TEXT = st.text(max_size=6)
# From 1950: older local times have second offsets (+00:53:28) that no ISO parser takes.
_ZONED = st.datetimes(datetime(1950, 1, 1), timezones=st.timezones()).map(lambda d: d.isoformat())
_DATES = st.dates().map(lambda d: d.isoformat())
# Per scalar: values the API takes, then values it refuses (or may: an int as an ID).
_SCALARS: dict[str, tuple[st.SearchStrategy[Any], st.SearchStrategy[Any]]] = {
    "String": (_TEXT, st.integers() | st.booleans()),
    "Boolean": (st.booleans(), st.integers(0, 1) | _TEXT),
    "Int": (
        st.integers(-(2**31), 2**31 - 1),
        st.integers(2**31, 2**33) | st.floats(-10, 10, allow_nan=False) | st.booleans(),
    ),
    "ID": (_GLOBAL_IDS, _TEXT | st.integers() | st.booleans()),
    "Decimal": (
        st.decimals(allow_nan=False, places=3).map(str) | st.integers(),
        st.floats(allow_nan=False, allow_infinity=False) | _TEXT | st.booleans(),
    ),
    "DateTime": (
        _ZONED,
        st.datetimes().map(lambda d: d.isoformat()) | _DATES | _TEXT | st.integers(),
    ),
    "Date": (_DATES, st.datetimes().map(lambda d: d.isoformat()) | _TEXT | st.integers()),
}


def _values(type_: Any, depth: int, valid: bool) -> st.SearchStrategy[Any]:
    """JSON for a GraphQL input type: only what it takes when ``valid``, else anything near."""
    if isinstance(type_, GraphQLNonNull):
        inner = _values(type_.of_type, depth, valid)
        return inner.filter(lambda value: value is not None) if valid else inner
    if isinstance(type_, GraphQLList):
        item = _values(type_.of_type, depth, valid)
        return st.none() | item | st.lists(item, max_size=3)
    if isinstance(type_, GraphQLEnumType):
        names = st.sampled_from(list(type_.values))
        return st.none() | (names if valid else names | _TEXT | st.integers())
    if isinstance(type_, GraphQLScalarType):
        good, bad = _SCALARS[type_.name]
        return st.none() | (good if valid else good | bad)
    assert isinstance(type_, GraphQLInputObjectType)
    return st.none() | _objects(type_, depth, valid)


def _objects(type_: GraphQLInputObjectType, depth: int, valid: bool) -> st.SearchStrategy[Any]:
    def deferred(field: Any) -> st.SearchStrategy[Any]:
        return st.deferred(lambda: _values(field.type, depth - 1, valid))

    fields = {
        name: deferred(field)
        for name, field in type_.fields.items()
        if depth > 0 or _is_leaf_or_conditions(field.type)
    }
    known = st.fixed_dictionaries({}, optional=fields)
    if valid:
        return known
    names = st.sampled_from(["nme", "equals", "some", "in_", "AND"])
    unknown = st.dictionaries(names, st.none() | _TEXT, min_size=1, max_size=1)
    return known | st.builds(lambda a, b: {**a, **b}, known, unknown) | _TEXT | st.integers()


def _named(type_: Any) -> Any:
    while isinstance(type_, GraphQLNonNull | GraphQLList):
        type_ = type_.of_type
    return type_


def _is_leaf_or_conditions(type_: Any) -> bool:
    # A scalar, or a field's operators (StringFilter, ...): nothing nested further.
    named = _named(type_)
    if not isinstance(named, GraphQLInputObjectType):
        return True
    return all(
        not isinstance(_named(f.type), GraphQLInputObjectType) for f in named.fields.values()
    )


def _filters(type_key: str) -> st.SearchStrategy[Any]:
    graphql_type = input_type(_type_name(type_key))
    assert graphql_type is not None
    # Two in three drawn from what the API takes, so that most examples compare two Filters.
    return st.sampled_from([True, True, False]).flatmap(
        lambda valid: _objects(graphql_type, 2, valid)
    )


@pytest.mark.parametrize("type_key", sorted(FILTER_INPUTS))
def test_generated_filters_read_as_the_api_reads_them(type_key: str) -> None:
    @settings(
        max_examples=12,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(_filters(type_key))
    def check(value: Any) -> None:
        read, reference = _both(type_key, value)
        assert read == reference, value

    check()


@pytest.mark.parametrize("type_key", ["contact", "customer", "deal", "ticket"])
def test_generated_filters_read_back_after_writing(type_key: str) -> None:
    @settings(
        max_examples=12, deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )
    @given(_filters(type_key))
    def check(value: Any) -> None:
        try:
            read = read_filter(type_key, value)
        except InvalidFilterError:
            return
        assert read_filter(type_key, encode_filter(FILTER_INPUTS, type_key, read)) == read

    check()
