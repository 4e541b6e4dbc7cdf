"""The filter language of list queries: per-field operators, combinators, relations, search."""

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from tests.factories import gid

CUSTOMERS = """
query($filter: CustomerFilter, $search: String, $includeDeleted: Boolean! = false) {
  customers(first: 100, filter: $filter, search: $search, includeDeleted: $includeDeleted) {
    nodes { name }
    totalCount
  }
}
"""

CONTACTS = """
query($filter: ContactFilter, $search: String) {
  contacts(first: 100, filter: $filter, search: $search) {
    nodes { firstName lastName }
  }
}
"""

DEALS = """
query($filter: DealFilter) {
  deals(first: 100, filter: $filter, orderBy: {field: NAME}) { nodes { name } }
}
"""

TICKETS = """
query($filter: TicketFilter) {
  tickets(first: 100, filter: $filter, orderBy: {field: SUBJECT}) { nodes { subject } }
}
"""

INTERACTIONS = """
query($filter: InteractionFilter) {
  interactions(first: 100, filter: $filter) { nodes { subject } }
}
"""


async def customer_names(
    gql: Any, filter_: dict[str, Any] | None = None, **variables: Any
) -> list[str]:
    """Names of the customers a filter selects, in the default order (by name)."""
    data = await gql(CUSTOMERS, {"filter": filter_, **variables})
    return [node["name"] for node in data["customers"]["nodes"]]


async def contact_names(
    gql: Any, filter_: dict[str, Any] | None = None, **variables: Any
) -> list[str]:
    """`First Last` of the contacts a filter selects, in the default order (by last name)."""
    data = await gql(CONTACTS, {"filter": filter_, **variables})
    return [f"{node['firstName']} {node['lastName']}" for node in data["contacts"]["nodes"]]


async def deal_names(gql: Any, filter_: dict[str, Any]) -> list[str]:
    data = await gql(DEALS, {"filter": filter_})
    return [node["name"] for node in data["deals"]["nodes"]]


async def ticket_subjects(gql: Any, filter_: dict[str, Any]) -> list[str]:
    data = await gql(TICKETS, {"filter": filter_})
    return [node["subject"] for node in data["tickets"]["nodes"]]


async def make_industries(make: Any) -> None:
    """Alpha (Software), Bravo (Hardware), Charlie (Retail), Delta (no industry)."""
    await make.customer(name="Alpha", industry="Software")
    await make.customer(name="Bravo", industry="Hardware")
    await make.customer(name="Charlie", industry="Retail")
    await make.customer(name="Delta")


# --- StringFilter -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        pytest.param({"eq": "Software"}, ["Alpha"], id="eq"),
        pytest.param({"eq": "software"}, [], id="eq-is-case-sensitive"),
        pytest.param({"eq": None}, ["Delta"], id="eq-null-matches-missing"),
        pytest.param({"ne": "Software"}, ["Bravo", "Charlie"], id="ne-skips-missing"),
        pytest.param({"ne": None}, ["Alpha", "Bravo", "Charlie"], id="ne-null-matches-present"),
        pytest.param({"in": ["Software", "Retail"]}, ["Alpha", "Charlie"], id="in"),
        pytest.param({"in": []}, [], id="in-empty"),
        pytest.param({"notIn": ["Software"]}, ["Bravo", "Charlie"], id="notIn-skips-missing"),
        pytest.param({"lt": "Retail"}, ["Bravo"], id="lt"),
        pytest.param({"lte": "Retail"}, ["Bravo", "Charlie"], id="lte"),
        pytest.param({"gt": "Retail"}, ["Alpha"], id="gt"),
        pytest.param({"gte": "Retail"}, ["Alpha", "Charlie"], id="gte"),
        pytest.param({"contains": "WAR"}, ["Alpha", "Bravo"], id="contains-ignores-case"),
        pytest.param({"contains": "ftwa"}, ["Alpha"], id="contains-inside"),
        pytest.param({"startsWith": "soft"}, ["Alpha"], id="startsWith-ignores-case"),
        pytest.param({"startsWith": "ware"}, [], id="startsWith-is-a-prefix"),
        pytest.param({"isNull": True}, ["Delta"], id="isNull-true"),
        pytest.param({"isNull": False}, ["Alpha", "Bravo", "Charlie"], id="isNull-false"),
        pytest.param(
            {"gte": "H", "lt": "S"}, ["Bravo", "Charlie"], id="operators-combine-with-and"
        ),
    ],
)
async def test_string_filter_operator_selects_matching_rows(
    gql: Any, make: Any, condition: dict[str, Any], expected: list[str]
) -> None:
    # given
    await make_industries(make)

    # when
    names = await customer_names(gql, {"industry": condition})

    # then
    assert names == expected


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        pytest.param({"contains": "%"}, ["100% Organic"], id="contains-percent"),
        pytest.param({"contains": "_"}, ["Under_score"], id="contains-underscore"),
        pytest.param({"startsWith": "100%"}, ["100% Organic"], id="startsWith-percent"),
        pytest.param({"startsWith": "under_"}, ["Under_score"], id="startsWith-underscore"),
        pytest.param({"contains": "/"}, ["Slash/Name"], id="contains-escape-character"),
    ],
)
async def test_like_wildcards_in_a_filter_value_match_literally(
    gql: Any, make: Any, condition: dict[str, Any], expected: list[str]
) -> None:
    # given names that a `%` or `_` used as a wildcard would also match
    for name in ("100% Organic", "100 Percent", "Under_score", "UnderXscore", "Slash/Name"):
        await make.customer(name=name)

    # when
    names = await customer_names(gql, {"name": condition})

    # then
    assert names == expected


# --- Numbers, dates, booleans -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        pytest.param({"eq": 50}, ["Medium"], id="eq"),
        pytest.param({"ne": 50}, ["Large", "Small"], id="ne"),
        pytest.param({"lt": 50}, ["Small"], id="lt"),
        pytest.param({"lte": 50}, ["Medium", "Small"], id="lte"),
        pytest.param({"gt": 50}, ["Large"], id="gt"),
        pytest.param({"gte": 50}, ["Large", "Medium"], id="gte"),
        pytest.param({"in": [10, 200]}, ["Large", "Small"], id="in"),
        pytest.param({"notIn": [10, 200]}, ["Medium"], id="notIn"),
        pytest.param({"gt": 10, "lt": 200}, ["Medium"], id="between"),
        pytest.param({"isNull": True}, ["Unknown"], id="isNull"),
    ],
)
async def test_int_filter_compares_numerically(
    gql: Any, make: Any, condition: dict[str, Any], expected: list[str]
) -> None:
    # given
    await make.customer(name="Small", employees=10)
    await make.customer(name="Medium", employees=50)
    await make.customer(name="Large", employees=200)
    await make.customer(name="Unknown")

    # when
    names = await customer_names(gql, {"employees": condition})

    # then
    assert names == expected


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        pytest.param({"gt": "10000"}, ["Above"], id="gt"),
        pytest.param({"gte": "10000"}, ["Above", "Exact"], id="gte"),
        pytest.param({"lt": "10000"}, ["Below"], id="lt"),
        pytest.param({"lte": "10000.00"}, ["Below", "Exact"], id="lte"),
        pytest.param({"eq": "10000.00"}, ["Exact"], id="eq-ignores-scale"),
        pytest.param({"in": ["9999.99", "10000.01"]}, ["Above", "Below"], id="in"),
        pytest.param({"ne": "10000"}, ["Above", "Below"], id="ne"),
    ],
)
async def test_decimal_filter_compares_amounts_exactly(
    gql: Any, make: Any, condition: dict[str, Any], expected: list[str]
) -> None:
    # given amounts one cent apart
    await make.pipeline()
    customer = await make.customer()
    for name, amount in (("Below", "9999.99"), ("Exact", "10000"), ("Above", "10000.01")):
        await make.deal(customer_id=customer.id, name=name, amount=Decimal(amount))

    # when
    names = await deal_names(gql, {"amount": condition})

    # then
    assert names == expected


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        pytest.param(
            {"gte": "2026-03-01T00:00:00+00:00", "lt": "2026-03-02T00:00:00+00:00"},
            ["Midnight call", "Morning call"],
            id="range",
        ),
        pytest.param({"gt": "2026-03-01T09:00:00+00:00"}, ["Next day call"], id="gt"),
        pytest.param(
            {"lte": "2026-03-01T09:00:00+00:00"}, ["Midnight call", "Morning call"], id="lte"
        ),
        pytest.param(
            {"eq": "2026-03-01T10:00:00+01:00"}, ["Morning call"], id="eq-converts-time-zones"
        ),
        pytest.param({"lt": "2026-03-01T01:00:00+01:00"}, [], id="lt-converts-time-zones"),
    ],
)
async def test_datetime_filter_compares_points_in_time(
    gql: Any, make: Any, condition: dict[str, Any], expected: list[str]
) -> None:
    # given interactions at midnight, 09:00 and the next day (UTC)
    customer = await make.customer()
    for subject, at in (
        ("Midnight call", datetime(2026, 3, 1, 0, 0, tzinfo=UTC)),
        ("Morning call", datetime(2026, 3, 1, 9, 0, tzinfo=UTC)),
        ("Next day call", datetime(2026, 3, 2, 12, 0, tzinfo=UTC)),
    ):
        await make.interaction(customer_id=customer.id, subject=subject, occurred_at=at)

    # when (interactions are listed by occurredAt)
    data = await gql(INTERACTIONS, {"filter": {"occurredAt": condition}})

    # then
    assert [node["subject"] for node in data["interactions"]["nodes"]] == expected


async def test_datetime_filter_on_created_at_splits_rows_by_creation_time(
    gql: Any, make: Any
) -> None:
    # given one customer created before a moment and one after it
    await make.customer(name="Earlier")
    moment = datetime.now(UTC)
    await make.customer(name="Later")

    # when
    after = await customer_names(gql, {"createdAt": {"gt": moment.isoformat()}})
    before = await customer_names(gql, {"createdAt": {"lte": moment.isoformat()}})

    # then
    assert (after, before) == (["Later"], ["Earlier"])


@pytest.mark.parametrize(
    "value", ["2026-03-01T00:00:00", "2026-03-01"], ids=["naive-datetime", "date-only"]
)
async def test_datetime_filter_without_a_time_zone_is_bad_user_input(
    gql: Any, make: Any, value: str
) -> None:
    # given
    await make.customer(name="Alpha")

    # when
    errors = await gql.errors(CUSTOMERS, {"filter": {"createdAt": {"in": [value]}}})
    nested = await gql.errors(
        CUSTOMERS, {"filter": {"or": [{"contacts": {"some": {"createdAt": {"gt": value}}}}]}}
    )

    # then
    assert [error["extensions"]["code"] for error in errors + nested] == ["BAD_USER_INPUT"] * 2


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        pytest.param({"eq": True}, ["Ada Optin"], id="eq-true"),
        pytest.param({"eq": False}, ["Bob Optout"], id="eq-false"),
        pytest.param({"isNull": False}, ["Ada Optin", "Bob Optout"], id="isNull-false"),
        pytest.param({"isNull": True}, [], id="isNull-true"),
    ],
)
async def test_boolean_filter_selects_by_flag(
    gql: Any, make: Any, condition: dict[str, Any], expected: list[str]
) -> None:
    # given
    await make.contact(first_name="Ada", last_name="Optin", marketing_opt_in=True)
    await make.contact(first_name="Bob", last_name="Optout", marketing_opt_in=False)

    # when
    names = await contact_names(gql, {"marketingOptIn": condition})

    # then
    assert names == expected


# --- Ids and enums ----------------------------------------------------------------------------


async def test_id_filter_eq_in_and_not_in_take_global_ids(gql: Any, make: Any) -> None:
    # given
    alpha = await make.customer(name="Alpha")
    bravo = await make.customer(name="Bravo")
    await make.customer(name="Charlie")

    # when
    eq = await customer_names(gql, {"id": {"eq": gid("Customer", bravo)}})
    ne = await customer_names(gql, {"id": {"ne": gid("Customer", bravo)}})
    in_ = await customer_names(
        gql, {"id": {"in": [gid("Customer", alpha), gid("Customer", bravo)]}}
    )
    not_in = await customer_names(
        gql, {"id": {"notIn": [gid("Customer", alpha), gid("Customer", bravo)]}}
    )

    # then
    assert eq == ["Bravo"]
    assert ne == ["Alpha", "Charlie"]
    assert in_ == ["Alpha", "Bravo"]
    assert not_in == ["Charlie"]


async def test_id_filter_on_a_reference_matches_the_referenced_row(gql: Any, make: Any) -> None:
    # given
    acme = await make.customer(name="Acme")
    other = await make.customer(name="Other")
    await make.contact(first_name="Ada", last_name="Acme", customer_id=acme.id)
    await make.contact(first_name="Otto", last_name="Other", customer_id=other.id)
    await make.contact(first_name="Nora", last_name="Nobody")

    # when
    names = await contact_names(gql, {"customerId": {"eq": gid("Customer", acme)}})

    # then
    assert names == ["Ada Acme"]


@pytest.mark.parametrize(
    ("is_null", "expected"),
    [(True, ["Nora Nobody"]), (False, ["Ada Acme", "Otto Other"])],
)
async def test_id_filter_is_null_selects_rows_without_or_with_a_reference(
    gql: Any, make: Any, is_null: bool, expected: list[str]
) -> None:
    # given
    acme = await make.customer(name="Acme")
    await make.contact(first_name="Ada", last_name="Acme", customer_id=acme.id)
    await make.contact(first_name="Otto", last_name="Other", customer_id=acme.id)
    await make.contact(first_name="Nora", last_name="Nobody")

    # when
    names = await contact_names(gql, {"customerId": {"isNull": is_null}})

    # then
    assert names == expected


@pytest.mark.parametrize(
    "filter_",
    [
        pytest.param({"id": {"eq": "not-a-global-id"}}, id="eq"),
        pytest.param({"id": {"in": ["not-a-global-id"]}}, id="in"),
        pytest.param({"ownerId": {"notIn": ["bm90IGFuIGlk"]}}, id="notIn-base64-without-uuid"),
        pytest.param({"owner": {"id": {"eq": "%%%"}}}, id="inside-a-relation-filter"),
    ],
)
async def test_invalid_global_id_in_a_filter_is_bad_user_input(
    gql: Any, make: Any, filter_: dict[str, Any]
) -> None:
    # given
    await make.customer(name="Alpha")

    # when
    errors = await gql.errors(CUSTOMERS, {"filter": filter_})

    # then
    assert [error["extensions"]["code"] for error in errors] == ["BAD_USER_INPUT"]


async def test_enum_filter_in_and_not_in_select_by_value(gql: Any, make: Any) -> None:
    # given
    await make.customer(name="Alpha", lifecycle_stage="lead")
    await make.customer(name="Bravo", lifecycle_stage="customer")
    await make.customer(name="Charlie", lifecycle_stage="churned")

    # when
    in_ = await customer_names(gql, {"lifecycleStage": {"in": ["LEAD", "CHURNED"]}})
    not_in = await customer_names(gql, {"lifecycleStage": {"notIn": ["LEAD", "CHURNED"]}})
    eq = await customer_names(gql, {"lifecycleStage": {"eq": "CUSTOMER"}})
    ne = await customer_names(gql, {"lifecycleStage": {"ne": "CUSTOMER"}})

    # then
    assert in_ == ["Alpha", "Charlie"]
    assert not_in == ["Bravo"]
    assert eq == ["Bravo"]
    assert ne == ["Alpha", "Charlie"]


async def test_enum_filters_on_several_fields_combine_with_and(gql: Any, make: Any) -> None:
    # given
    await make.ticket(subject="Open high", status="open", priority="high")
    await make.ticket(subject="Open low", status="open", priority="low")
    await make.ticket(subject="Closed high", status="closed", priority="high")

    # when
    subjects = await ticket_subjects(
        gql, {"status": {"in": ["OPEN", "PENDING"]}, "priority": {"notIn": ["LOW", "NORMAL"]}}
    )

    # then
    assert subjects == ["Open high"]


async def test_unknown_enum_value_in_a_filter_is_rejected(gql: Any) -> None:
    errors = await gql.errors(CUSTOMERS, {"filter": {"lifecycleStage": {"eq": "ZOMBIE"}}})

    assert "ZOMBIE" in errors[0]["message"]


# --- and / or / not ---------------------------------------------------------------------------


async def test_or_matches_rows_meeting_any_branch(gql: Any, make: Any) -> None:
    await make_industries(make)

    names = await customer_names(
        gql, {"or": [{"industry": {"eq": "Retail"}}, {"name": {"eq": "Alpha"}}]}
    )

    assert names == ["Alpha", "Charlie"]


async def test_and_matches_rows_meeting_every_branch(gql: Any, make: Any) -> None:
    await make_industries(make)

    names = await customer_names(
        gql, {"and": [{"industry": {"contains": "ware"}}, {"name": {"startsWith": "B"}}]}
    )

    assert names == ["Bravo"]


async def test_not_negates_its_filter(gql: Any, make: Any) -> None:
    await make_industries(make)

    names = await customer_names(gql, {"not": {"industry": {"in": ["Software", "Hardware"]}}})

    # NOT (industry IN ...) is unknown, so false, for a missing industry
    assert names == ["Charlie"]


async def test_empty_or_and_empty_and(gql: Any, make: Any) -> None:
    await make_industries(make)

    assert await customer_names(gql, {"or": []}) == []
    assert await customer_names(gql, {"and": []}) == ["Alpha", "Bravo", "Charlie", "Delta"]


async def test_combinators_nest(gql: Any, make: Any) -> None:
    # given
    await make.customer(name="Alpha", industry="Software", employees=10)
    await make.customer(name="Bravo", industry="Software", employees=500)
    await make.customer(name="Charlie", industry="Retail", employees=800)
    await make.customer(name="Delta", industry="Retail", employees=5)
    await make.customer(name="Echo", industry="Mining", employees=1000)

    # when: (software AND small) OR (NOT software AND NOT mining AND large)
    names = await customer_names(
        gql,
        {
            "or": [
                {"and": [{"industry": {"eq": "Software"}}, {"employees": {"lt": 100}}]},
                {
                    "not": {
                        "or": [{"industry": {"eq": "Software"}}, {"industry": {"eq": "Mining"}}]
                    },
                    "employees": {"gte": 100},
                },
            ]
        },
    )

    # then
    assert names == ["Alpha", "Charlie"]


# --- Relations --------------------------------------------------------------------------------


async def test_to_one_relation_filter_selects_contacts_of_customers_in_an_industry(
    gql: Any, make: Any
) -> None:
    # given
    bank = await make.customer(name="Bank", industry="Finance")
    shop = await make.customer(name="Shop", industry="Retail")
    await make.contact(first_name="Ada", last_name="Banker", customer_id=bank.id)
    await make.contact(first_name="Bob", last_name="Clerk", customer_id=bank.id)
    await make.contact(first_name="Sue", last_name="Seller", customer_id=shop.id)
    await make.contact(first_name="Nora", last_name="Nobody")

    # when
    names = await contact_names(gql, {"customer": {"industry": {"eq": "Finance"}}})
    negated = await contact_names(gql, {"not": {"customer": {"industry": {"eq": "Finance"}}}})

    # then
    assert names == ["Ada Banker", "Bob Clerk"]
    assert negated == ["Nora Nobody", "Sue Seller"]


async def test_to_one_relation_filter_follows_several_levels(gql: Any, make: Any) -> None:
    # given deals in a won and an open stage
    _, (lead, _, won, _) = await make.pipeline()
    customer = await make.customer()
    await make.deal(customer_id=customer.id, name="Open deal", stage_id=lead.id)
    await make.deal(customer_id=customer.id, name="Won deal", stage_id=won.id)

    # when
    names = await deal_names(gql, {"stage": {"kind": {"eq": "WON"}}})

    # then
    assert names == ["Won deal"]


async def test_to_many_some_needs_one_related_row_meeting_every_condition(
    gql: Any, make: Any
) -> None:
    # given
    _, (lead, proposal, won, _) = await make.pipeline()
    big_open = await make.customer(name="Big open")
    await make.deal(customer_id=big_open.id, amount=Decimal("15000"), stage_id=proposal.id)
    # big, but won; and open, but small: no single deal is both
    split = await make.customer(name="Split")
    await make.deal(customer_id=split.id, amount=Decimal("20000"), stage_id=won.id)
    await make.deal(customer_id=split.id, amount=Decimal("5000"), stage_id=lead.id)
    exact = await make.customer(name="Exactly ten thousand")
    await make.deal(customer_id=exact.id, amount=Decimal("10000"), stage_id=lead.id)
    await make.customer(name="No deals")

    # when
    names = await customer_names(
        gql, {"deals": {"some": {"amount": {"gt": "10000"}, "stage": {"kind": {"eq": "OPEN"}}}}}
    )

    # then
    assert names == ["Big open"]


async def test_to_many_none_selects_customers_without_tickets(gql: Any, make: Any) -> None:
    # given
    busy = await make.customer(name="Busy")
    await make.ticket(customer_id=busy.id, status="open")
    calm = await make.customer(name="Calm")
    await make.ticket(customer_id=calm.id, status="closed")
    await make.customer(name="Quiet")

    # when
    without_any = await customer_names(gql, {"tickets": {"none": {}}})
    without_open = await customer_names(gql, {"tickets": {"none": {"status": {"eq": "OPEN"}}}})
    with_any = await customer_names(gql, {"tickets": {"some": {}}})

    # then
    assert without_any == ["Quiet"]
    assert without_open == ["Calm", "Quiet"]
    assert with_any == ["Busy", "Calm"]


async def test_to_many_some_and_none_combine(gql: Any, make: Any) -> None:
    # given
    one = await make.customer(name="Opted in only")
    await make.contact(customer_id=one.id, marketing_opt_in=True)
    both = await make.customer(name="Mixed")
    await make.contact(customer_id=both.id, marketing_opt_in=True)
    await make.contact(customer_id=both.id, marketing_opt_in=False)
    await make.customer(name="Nobody")

    # when
    names = await customer_names(
        gql,
        {
            "contacts": {
                "some": {"marketingOptIn": {"eq": True}},
                "none": {"marketingOptIn": {"eq": False}},
            }
        },
    )

    # then
    assert names == ["Opted in only"]


async def test_to_many_filter_ignores_soft_deleted_related_rows(gql: Any, make: Any) -> None:
    # given a customer whose only ticket is in the trash
    customer = await make.customer(name="Trashed ticket")
    ticket = await make.ticket(customer_id=customer.id)
    deleted = await gql(
        "mutation($id: ID!){ deleteTicket(id: $id) { errors { code } } }",
        {"id": gid("Ticket", ticket)},
    )
    assert deleted["deleteTicket"]["errors"] == []

    # when
    names = await customer_names(gql, {"tickets": {"none": {}}})

    # then
    assert names == ["Trashed ticket"]


async def test_filter_on_a_nested_connection_applies_per_parent(gql: Any, make: Any) -> None:
    # given
    acme = await make.customer(name="Acme")
    await make.contact(customer_id=acme.id, first_name="Ada", last_name="A", marketing_opt_in=True)
    await make.contact(customer_id=acme.id, first_name="Bob", last_name="B")
    globex = await make.customer(name="Globex")
    await make.contact(customer_id=globex.id, first_name="Cy", last_name="C")

    # when
    data = await gql(
        """{ customers { nodes { name
             contacts(filter: {marketingOptIn: {eq: true}}) { nodes { firstName } totalCount } } } }"""
    )

    # then
    assert data["customers"]["nodes"] == [
        {"name": "Acme", "contacts": {"nodes": [{"firstName": "Ada"}], "totalCount": 1}},
        {"name": "Globex", "contacts": {"nodes": [], "totalCount": 0}},
    ]


# --- search -----------------------------------------------------------------------------------


async def make_search_customers(make: Any) -> None:
    await make.customer(name="Acme Widgets", domain="acme-berlin.de", phone="+49 30 1234567")
    await make.customer(name="Berlin Bakery", domain="bakery.de", phone="+49 30 7654321")
    await make.customer(name="Globex", domain="globex.com", phone="+1 555 0100")


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        pytest.param("acme", ["Acme Widgets"], id="name"),
        pytest.param("ACME", ["Acme Widgets"], id="ignores-case"),
        pytest.param("globex.com", ["Globex"], id="domain"),
        pytest.param("555", ["Globex"], id="phone"),
        pytest.param("berlin", ["Acme Widgets", "Berlin Bakery"], id="name-or-domain"),
        pytest.param("widgets BERLIN", ["Acme Widgets"], id="every-word-somewhere"),
        pytest.param("bakery globex", [], id="words-must-match-the-same-row"),
        pytest.param("  ", ["Acme Widgets", "Berlin Bakery", "Globex"], id="blank-matches-all"),
        pytest.param("%", [], id="percent-is-literal"),
        pytest.param("acme_berlin", [], id="underscore-is-literal"),
    ],
)
async def test_search_customers_matches_name_domain_and_phone(
    gql: Any, make: Any, search: str, expected: list[str]
) -> None:
    # given
    await make_search_customers(make)

    # when
    names = await customer_names(gql, search=search)

    # then
    assert names == expected


async def test_search_combines_with_filter(gql: Any, make: Any) -> None:
    await make.customer(name="Berlin Bakery", industry="Food")
    await make.customer(name="Berlin Bank", industry="Finance")

    names = await customer_names(gql, {"industry": {"eq": "Finance"}}, search="berlin")

    assert names == ["Berlin Bank"]


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        pytest.param("ada", ["Ada Byron", "Ada Lovelace"], id="first-name"),
        pytest.param("LOVELACE", ["Ada Lovelace"], id="last-name-ignores-case"),
        pytest.param("ada lovelace", ["Ada Lovelace"], id="full-name"),
        pytest.param("lovelace ADA", ["Ada Lovelace"], id="words-in-any-order"),
        pytest.param("analytical.org", ["Charles Babbage"], id="email"),
        pytest.param("0207", [], id="not-phone-which-is-encrypted"),
        pytest.param("charles byron", [], id="every-word-must-match"),
    ],
)
async def test_search_contacts_matches_names_and_email(
    gql: Any, make: Any, search: str, expected: list[str]
) -> None:
    # given
    await make.contact(first_name="Ada", last_name="Lovelace", email="ada@engine.org")
    await make.contact(
        first_name="Ada", last_name="Byron", email="byron@poets.org", phone="0207 111"
    )
    await make.contact(first_name="Charles", last_name="Babbage", email="cb@analytical.org")

    # when
    names = await contact_names(gql, search=search)

    # then
    assert names == expected


# --- Soft delete and totals -------------------------------------------------------------------


DELETE_CUSTOMER = "mutation($id: ID!){ deleteCustomer(id: $id) { errors { code } } }"


async def test_soft_deleted_rows_are_listed_only_with_include_deleted(gql: Any, make: Any) -> None:
    # given
    await make.customer(name="Kept")
    gone = await make.customer(name="Gone")
    data = await gql(DELETE_CUSTOMER, {"id": gid("Customer", gone)})
    assert data["deleteCustomer"]["errors"] == []

    # when
    hidden = await gql(CUSTOMERS, {})
    shown = await gql(CUSTOMERS, {"includeDeleted": True})
    only_deleted = await customer_names(gql, {"deletedAt": {"isNull": False}}, includeDeleted=True)

    # then
    assert hidden["customers"] == {"nodes": [{"name": "Kept"}], "totalCount": 1}
    assert shown["customers"] == {"nodes": [{"name": "Gone"}, {"name": "Kept"}], "totalCount": 2}
    assert only_deleted == ["Gone"]


async def test_soft_deleted_customer_is_not_reached_through_a_relation_filter(
    gql: Any, make: Any
) -> None:
    # given a contact whose customer is in the trash
    gone = await make.customer(name="Gone", industry="Finance")
    await make.contact(first_name="Ada", last_name="Orphan", customer_id=gone.id)
    deleted = await gql(DELETE_CUSTOMER, {"id": gid("Customer", gone)})
    assert deleted["deleteCustomer"]["errors"] == []

    # when
    names = await contact_names(gql, {"customer": {"industry": {"eq": "Finance"}}})
    unfiltered = await contact_names(gql)

    # then the contact itself is still listed, just not through its deleted customer
    assert names == []
    assert unfiltered == ["Ada Orphan"]


async def test_total_count_counts_the_filtered_rows_across_pages(gql: Any, make: Any) -> None:
    # given
    await make_industries(make)

    # when
    data = await gql(
        "query($filter: CustomerFilter){ customers(first: 1, filter: $filter) "
        "{ nodes { name } totalCount } }",
        {"filter": {"industry": {"isNull": False}}},
    )

    # then
    assert data["customers"] == {"nodes": [{"name": "Alpha"}], "totalCount": 3}
