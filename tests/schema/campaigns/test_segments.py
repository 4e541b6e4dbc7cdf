"""Segments: a saved API filter, evaluated on read like the list it mirrors, or frozen."""

from typing import Any

from sqlalchemy import func, select

from kernel.tables import table_of
from models import Segment

CREATE = """mutation($input: CreateSegmentInput!) {
  createSegment(input: $input) { segment { id name count kind } errors { code field } } }"""
SEGMENT = """query($id: ID!) { node(id: $id) { ... on Segment {
  count kind contacts(first: 50) { totalCount nodes { id } } customers { totalCount } } } }"""
FREEZE = """mutation($id: ID!) { freezeSegment(id: $id) { segment { kind frozenAt count } errors { code } } }"""


async def _people(make: Any) -> None:
    berlin = await make.customer(city="Berlin")
    paris = await make.customer(city="Paris")
    await make.contact(customer_id=berlin.id, marketing_opt_in=True, last_name="Adler")
    await make.contact(customer_id=berlin.id, marketing_opt_in=False, last_name="Brandt")
    await make.contact(customer_id=paris.id, marketing_opt_in=True, last_name="Curie")
    await make.contact(marketing_opt_in=True, last_name="Adams")


async def test_segment_selects_what_the_same_filter_selects_on_contacts(
    gql: Any, make: Any
) -> None:
    await _people(make)
    filter_ = {
        "marketingOptIn": {"eq": True},
        "or": [{"customer": {"city": {"eq": "Berlin"}}}, {"lastName": {"startsWith": "ad"}}],
    }

    created = await gql(
        CREATE, {"input": {"name": "Opted-in", "entityType": "CONTACT", "filter": filter_}}
    )
    segment = await gql(SEGMENT, {"id": created["createSegment"]["segment"]["id"]})
    listed = await gql(
        "query($f: ContactFilter) { contacts(filter: $f, first: 50) { totalCount nodes { id } } }",
        {"f": filter_},
    )

    assert segment["node"]["count"] == listed["contacts"]["totalCount"] == 2
    assert segment["node"]["contacts"] == listed["contacts"]
    assert segment["node"]["customers"] is None


async def test_customer_segment_selects_customers(gql: Any, make: Any) -> None:
    await _people(make)

    created = await gql(
        CREATE,
        {
            "input": {
                "name": "Berlin",
                "entityType": "CUSTOMER",
                "filter": {"city": {"eq": "Berlin"}},
            }
        },
    )
    segment = await gql(SEGMENT, {"id": created["createSegment"]["segment"]["id"]})

    assert segment["node"]["count"] == 1
    assert segment["node"]["customers"] == {"totalCount": 1}
    assert segment["node"]["contacts"] is None


async def test_segment_with_an_unknown_filter_field_is_refused_and_changes_nothing(
    gql: Any, session_factory: Any
) -> None:
    data = await gql(
        CREATE,
        {
            "input": {
                "name": "Broken",
                "entityType": "CONTACT",
                "filter": {"customer": {"city": {"equals": "Berlin"}}},
            }
        },
    )

    assert data["createSegment"] == {
        "segment": None,
        "errors": [
            {"code": "VALIDATION", "field": ["input", "filter", "customer", "city", "equals"]}
        ],
    }
    async with session_factory() as session:
        assert await session.scalar(select(func.count()).select_from(table_of(Segment))) == 0


async def test_segment_with_a_badly_typed_filter_value_is_refused(gql: Any) -> None:
    data = await gql(
        CREATE,
        {
            "input": {
                "name": "Late",
                "entityType": "CONTACT",
                "filter": {"createdAt": {"gte": "soon"}},
            }
        },
    )

    assert data["createSegment"]["errors"] == [
        {"code": "VALIDATION", "field": ["input", "filter", "createdAt", "gte"]}
    ]


async def test_dynamic_segment_follows_new_records(gql: Any, make: Any) -> None:
    created = await gql(
        CREATE,
        {
            "input": {
                "name": "Opted-in",
                "entityType": "CONTACT",
                "filter": {"marketingOptIn": {"eq": True}},
            }
        },
    )
    await make.opted_in_contact()

    segment = await gql(SEGMENT, {"id": created["createSegment"]["segment"]["id"]})

    assert segment["node"]["count"] == 1


async def test_frozen_segment_keeps_its_snapshot(gql: Any, make: Any) -> None:
    await make.opted_in_contact()
    created = await gql(
        CREATE,
        {
            "input": {
                "name": "Opted-in",
                "entityType": "CONTACT",
                "filter": {"marketingOptIn": {"eq": True}},
            }
        },
    )
    segment_id = created["createSegment"]["segment"]["id"]

    frozen = await gql(FREEZE, {"id": segment_id})
    await make.opted_in_contact()
    after = await gql(SEGMENT, {"id": segment_id})

    assert frozen["freezeSegment"]["segment"]["kind"] == "STATIC"
    assert frozen["freezeSegment"]["segment"]["frozenAt"] is not None
    assert after["node"]["count"] == 1
    assert after["node"]["contacts"]["totalCount"] == 1


async def test_unfrozen_segment_is_evaluated_on_read_again(gql: Any, make: Any) -> None:
    await make.opted_in_contact()
    created = await gql(
        CREATE,
        {
            "input": {
                "name": "Opted-in",
                "entityType": "CONTACT",
                "filter": {"marketingOptIn": {"eq": True}},
            }
        },
    )
    segment_id = created["createSegment"]["segment"]["id"]
    await gql(FREEZE, {"id": segment_id})
    await make.opted_in_contact()

    data = await gql(
        "mutation($id: ID!) { unfreezeSegment(id: $id) { segment { kind count } errors { code } } }",
        {"id": segment_id},
    )

    assert data["unfreezeSegment"] == {"segment": {"kind": "DYNAMIC", "count": 2}, "errors": []}


async def test_segment_shows_only_contacts_the_viewer_may_see(
    http: Any, settings: Any, make: Any, gql: Any
) -> None:
    from kernel.principal import Principal, PrincipalKind
    from tests.schema.test_permissions import client_for

    rep = await make.user(role="sales_rep")
    mine = await make.customer(owner_id=rep.id)
    await make.opted_in_contact(customer_id=mine.id)
    await make.opted_in_contact()
    created = await gql(
        CREATE,
        {
            "input": {
                "name": "All opted-in",
                "entityType": "CONTACT",
                "filter": {"marketingOptIn": {"eq": True}},
            }
        },
    )
    viewer = client_for(
        http, settings, Principal(str(rep.id), PrincipalKind.USER, role="sales_rep", user_id=rep.id)
    )

    segment = await viewer(SEGMENT, {"id": created["createSegment"]["segment"]["id"]})

    assert segment["node"]["count"] == 1
