"""Keyset pagination of list queries: cursors, page info, ordering, limits and nested lists."""

import base64
import itertools
import json
import uuid
from collections.abc import Awaitable, Callable, Iterable
from decimal import Decimal
from typing import Any

import pytest

from tests.factories import gid

CUSTOMERS = """
query($first: Int, $after: String, $last: Int, $before: String, $orderBy: CustomerOrder) {
  customers(first: $first, after: $after, last: $last, before: $before, orderBy: $orderBy) {
    edges { cursor node { name } }
    nodes { id name }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    totalCount
  }
}
"""

NAMES = [f"Customer {letter}" for letter in "ABCDEFG"]
# A bound on every paging loop, so that a cursor that does not advance fails instead of hanging.
MAX_PAGES = 30
Fetch = Callable[[str | None], Awaitable[dict[str, Any]]]


async def make_customers(make: Any, names: list[str] = NAMES) -> list[Any]:
    return [await make.customer(name=name) for name in names]


async def page(gql: Any, **arguments: Any) -> dict[str, Any]:
    return (await gql(CUSTOMERS, arguments))["customers"]  # type: ignore[no-any-return]


def names_of(connection: dict[str, Any]) -> list[str]:
    return [node["name"] for node in connection["nodes"]]


async def walk(fetch: Fetch) -> list[dict[str, Any]]:
    """Every page of a connection from the first on, following endCursor."""
    pages: list[dict[str, Any]] = []
    after = None
    for _ in range(MAX_PAGES):
        connection = await fetch(after)
        pages.append(connection)
        if not connection["pageInfo"]["hasNextPage"]:
            return pages
        after = connection["pageInfo"]["endCursor"]
    raise AssertionError(f"still a next page after {MAX_PAGES} pages")


async def page_forward(gql: Any, size: int, **arguments: Any) -> list[list[str]]:
    """The names on every page from the first on, following endCursor."""
    pages = await walk(lambda after: page(gql, first=size, after=after, **arguments))
    return [names_of(connection) for connection in pages]


async def page_backward(gql: Any, size: int, **arguments: Any) -> list[list[str]]:
    """The names on every page from the last back, following startCursor."""
    pages: list[list[str]] = []
    before = None
    for _ in range(MAX_PAGES):
        connection = await page(gql, last=size, before=before, **arguments)
        pages.append(names_of(connection))
        if not connection["pageInfo"]["hasPreviousPage"]:
            return pages
        before = connection["pageInfo"]["startCursor"]
    raise AssertionError(f"still a previous page after {MAX_PAGES} pages: {pages[-3:]}")


def flatten(pages: Iterable[list[str]]) -> list[str]:
    return list(itertools.chain.from_iterable(pages))


def raw_cursor(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


def codes(errors: list[dict[str, Any]]) -> list[str]:
    return [error["extensions"]["code"] for error in errors]


# --- Walking a list ---------------------------------------------------------------------------


async def test_paging_forward_visits_every_row_once_in_order(gql: Any, make: Any) -> None:
    # given seven customers, created out of name order
    await make_customers(make, [NAMES[i] for i in (3, 0, 6, 1, 5, 2, 4)])

    # when
    pages = await page_forward(gql, 3)

    # then
    assert pages == [NAMES[0:3], NAMES[3:6], NAMES[6:7]]


async def test_paging_backward_gives_the_same_rows_in_the_same_order(gql: Any, make: Any) -> None:
    # given
    await make_customers(make, [NAMES[i] for i in (3, 0, 6, 1, 5, 2, 4)])

    # when
    pages = await page_backward(gql, 3)

    # then every page is in ascending order, and the pages cover the list from its end
    assert pages == [NAMES[4:7], NAMES[1:4], NAMES[0:1]]


async def test_page_info_on_first_middle_and_last_page(gql: Any, make: Any) -> None:
    # given
    await make_customers(make)

    # when
    first = await page(gql, first=3)
    middle = await page(gql, first=3, after=first["pageInfo"]["endCursor"])
    last = await page(gql, first=3, after=middle["pageInfo"]["endCursor"])

    # then
    flags = [
        (p["pageInfo"]["hasPreviousPage"], p["pageInfo"]["hasNextPage"])
        for p in (first, middle, last)
    ]
    assert flags == [(False, True), (True, True), (True, False)]
    assert names_of(last) == NAMES[6:7]


async def test_page_info_when_paging_backward(gql: Any, make: Any) -> None:
    # given
    await make_customers(make)

    # when
    last = await page(gql, last=3)
    earlier = await page(gql, last=3, before=last["pageInfo"]["startCursor"])
    earliest = await page(gql, last=3, before=earlier["pageInfo"]["startCursor"])

    # then
    flags = [
        (p["pageInfo"]["hasPreviousPage"], p["pageInfo"]["hasNextPage"])
        for p in (last, earlier, earliest)
    ]
    assert flags == [(True, False), (True, True), (False, True)]
    assert names_of(earliest) == NAMES[0:1]


async def test_start_and_end_cursor_are_the_cursors_of_the_first_and_last_edge(
    gql: Any, make: Any
) -> None:
    await make_customers(make)

    connection = await page(gql, first=3)

    cursors = [edge["cursor"] for edge in connection["edges"]]
    assert len(set(cursors)) == 3
    assert connection["pageInfo"]["startCursor"] == cursors[0]
    assert connection["pageInfo"]["endCursor"] == cursors[-1]
    assert [edge["node"]["name"] for edge in connection["edges"]] == names_of(connection)


async def test_every_edge_cursor_resumes_right_after_its_row(gql: Any, make: Any) -> None:
    # given
    await make_customers(make)
    edges = (await page(gql, first=7))["edges"]

    # when
    resumed = [names_of(await page(gql, first=2, after=edge["cursor"])) for edge in edges]
    before = [names_of(await page(gql, last=2, before=edge["cursor"])) for edge in edges]

    # then
    assert resumed == [NAMES[i + 1 : i + 3] for i in range(7)]
    assert before == [NAMES[max(i - 2, 0) : i] for i in range(7)]


async def test_after_and_before_together_give_the_rows_between(gql: Any, make: Any) -> None:
    # given
    await make_customers(make)
    edges = (await page(gql, first=7))["edges"]

    # when
    connection = await page(gql, first=10, after=edges[1]["cursor"], before=edges[5]["cursor"])

    # then
    assert names_of(connection) == NAMES[2:5]


async def test_empty_list_has_an_empty_page(gql: Any) -> None:
    connection = await page(gql, first=5)

    assert connection == {
        "edges": [],
        "nodes": [],
        "pageInfo": {
            "hasNextPage": False,
            "hasPreviousPage": False,
            "startCursor": None,
            "endCursor": None,
        },
        "totalCount": 0,
    }


async def test_first_zero_returns_no_edges(gql: Any, make: Any) -> None:
    await make_customers(make)

    connection = await page(gql, first=0)

    assert connection["edges"] == []
    assert connection["nodes"] == []
    assert connection["pageInfo"] == {
        "hasNextPage": True,
        "hasPreviousPage": False,
        "startCursor": None,
        "endCursor": None,
    }
    assert connection["totalCount"] == 7


async def test_total_count_is_unaffected_by_paging(gql: Any, make: Any) -> None:
    await make_customers(make)

    first = await page(gql, first=2)
    later = await page(gql, first=2, after=first["pageInfo"]["endCursor"])
    last = await page(gql, last=2)

    assert [first["totalCount"], later["totalCount"], last["totalCount"]] == [7, 7, 7]


# --- Ordering ---------------------------------------------------------------------------------


async def test_order_by_desc_pages_through_the_reverse_order(gql: Any, make: Any) -> None:
    await make_customers(make)

    pages = await page_forward(gql, 3, orderBy={"field": "NAME", "direction": "DESC"})

    reverse = NAMES[::-1]
    assert pages == [reverse[0:3], reverse[3:6], reverse[6:7]]


async def test_order_by_desc_pages_backward_too(gql: Any, make: Any) -> None:
    await make_customers(make)

    pages = await page_backward(gql, 3, orderBy={"field": "NAME", "direction": "DESC"})

    reverse = NAMES[::-1]
    assert pages == [reverse[4:7], reverse[1:4], reverse[0:1]]


async def test_ties_on_the_sort_field_are_broken_by_id(gql: Any, make: Any) -> None:
    # given five customers with one name, and one before and one after them
    same = [await make.customer(name="Same") for _ in range(5)]
    await make.customer(name="Before")
    await make.customer(name="Zafter")
    by_id = [gid("Customer", row) for row in sorted(same, key=lambda row: row.id)]

    # when paging with pages that end in the middle of the tie
    pages = await walk(lambda after: page(gql, first=2, after=after))
    ids = [node["id"] for connection in pages for node in connection["nodes"]]

    # then
    assert ids[1:-1] == by_id
    assert len(ids) == 7


async def test_ties_are_broken_by_id_descending_in_a_desc_order(gql: Any, make: Any) -> None:
    same = [await make.customer(name="Same") for _ in range(4)]
    by_id_desc = [
        gid("Customer", row) for row in sorted(same, key=lambda row: row.id, reverse=True)
    ]

    first = await page(gql, first=2, orderBy={"field": "NAME", "direction": "DESC"})
    rest = await page(
        gql,
        first=2,
        after=first["pageInfo"]["endCursor"],
        orderBy={"field": "NAME", "direction": "DESC"},
    )

    assert [node["id"] for node in first["nodes"] + rest["nodes"]] == by_id_desc
    assert rest["pageInfo"]["hasNextPage"] is False


async def test_paging_by_creation_time_visits_rows_in_creation_order(gql: Any, make: Any) -> None:
    # given customers created in an order unrelated to their names
    created = [NAMES[i] for i in (4, 1, 6, 0, 3, 5, 2)]
    await make_customers(make, created)

    # when
    forward = await page_forward(gql, 2, orderBy={"field": "CREATED_AT"})
    backward = await page_backward(gql, 2, orderBy={"field": "CREATED_AT"})
    newest_first = await page_forward(gql, 4, orderBy={"field": "CREATED_AT", "direction": "DESC"})

    # then
    assert flatten(forward) == created
    assert flatten(reversed(backward)) == created
    assert flatten(newest_first) == created[::-1]


async def test_paging_by_an_enum_field_groups_rows_and_breaks_ties_by_id(
    gql: Any, make: Any
) -> None:
    # given
    rows = [
        await make.customer(name=name, lifecycle_stage=stage)
        for name, stage in [
            ("A", "prospect"),
            ("B", "lead"),
            ("C", "customer"),
            ("D", "lead"),
            ("E", "customer"),
        ]
    ]
    expected = [
        gid("Customer", row)
        for row in sorted(rows, key=lambda row: (row.lifecycle_stage.value, row.id))
    ]

    # when
    pages = await walk(
        lambda after: page(gql, first=2, after=after, orderBy={"field": "LIFECYCLE_STAGE"})
    )
    ids = [node["id"] for connection in pages for node in connection["nodes"]]

    # then
    assert ids == expected


async def test_paging_deals_by_amount_compares_decimals(gql: Any, make: Any) -> None:
    # given amounts whose text order differs from their numeric order
    await make.pipeline()
    customer = await make.customer()
    amounts = ["9.50", "100", "20", "100.01", "3"]
    for amount in amounts:
        await make.deal(customer_id=customer.id, name=f"Deal {amount}", amount=Decimal(amount))
    query = """
    query($after: String) {
      deals(first: 2, after: $after, orderBy: {field: AMOUNT}) {
        nodes { name } pageInfo { hasNextPage endCursor }
      }
    }"""

    # when
    async def fetch(after: str | None) -> dict[str, Any]:
        return (await gql(query, {"after": after}))["deals"]  # type: ignore[no-any-return]

    pages = await walk(fetch)
    names = [node["name"] for connection in pages for node in connection["nodes"]]

    # then
    assert names == ["Deal 3", "Deal 9.50", "Deal 20", "Deal 100", "Deal 100.01"]


# --- Page size --------------------------------------------------------------------------------


async def test_default_page_size_is_twenty(gql: Any, make: Any) -> None:
    names = [f"Customer {n:02d}" for n in range(21)]
    await make_customers(make, names)

    connection = await page(gql)

    assert names_of(connection) == names[:20]
    assert connection["pageInfo"]["hasNextPage"] is True
    assert connection["totalCount"] == 21


async def test_page_size_of_one_hundred_is_allowed(gql: Any, make: Any) -> None:
    await make_customers(make, NAMES[:2])

    first = await page(gql, first=100)
    last = await page(gql, last=100)

    assert names_of(first) == names_of(last) == NAMES[:2]


@pytest.mark.parametrize(
    ("arguments", "argument"),
    [
        pytest.param({"first": 101}, "first", id="first-over-100"),
        pytest.param({"last": 101}, "last", id="last-over-100"),
        pytest.param({"first": -1}, "first", id="negative-first"),
        pytest.param({"last": -1}, "last", id="negative-last"),
        pytest.param({"first": 2, "last": 2}, "first", id="first-and-last"),
    ],
)
async def test_invalid_page_size_is_bad_user_input(
    gql: Any, arguments: dict[str, Any], argument: str
) -> None:
    errors = await gql.errors(CUSTOMERS, arguments)

    assert codes(errors) == ["BAD_USER_INPUT"]
    assert errors[0]["extensions"]["argument"] == argument


async def test_nested_page_size_is_checked_too(gql: Any, make: Any) -> None:
    await make.customer()

    errors = await gql.errors("{ customers { nodes { contacts(first: 101) { totalCount } } } }")

    assert codes(errors) == ["BAD_USER_INPUT"]


# --- Cursors ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "cursor",
    [
        pytest.param("garbage", id="not-base64"),
        pytest.param("!!!!", id="no-base64-characters"),
        pytest.param(base64.urlsafe_b64encode(b"\xff\xfe").decode(), id="not-utf8"),
        pytest.param(raw_cursor({"name": "A"}), id="json-object"),
        pytest.param(raw_cursor(None), id="json-null"),
        pytest.param(raw_cursor(["name", "A"]), id="two-parts"),
        pytest.param(raw_cursor(["name", "A", "not-a-uuid"]), id="bad-id"),
        pytest.param(raw_cursor(["name", "A", 42]), id="numeric-id"),
        pytest.param(raw_cursor(["name", "A", None]), id="null-id"),
    ],
)
@pytest.mark.parametrize("argument", ["after", "before"])
async def test_malformed_cursor_is_bad_user_input(
    gql: Any, make: Any, cursor: str, argument: str
) -> None:
    await make.customer()
    size = "first" if argument == "after" else "last"

    errors = await gql.errors(CUSTOMERS, {size: 2, argument: cursor})

    assert codes(errors) == ["BAD_USER_INPUT"]
    assert errors[0]["extensions"]["argument"] == argument


@pytest.mark.parametrize(
    ("field", "value"),
    [
        pytest.param("created_at", "yesterday", id="bad-datetime"),
        pytest.param("created_at", 5, id="numeric-datetime"),
        pytest.param("amount", "lots", id="bad-decimal"),
        pytest.param("amount", [1], id="list-decimal"),
    ],
)
async def test_cursor_with_an_unreadable_sort_value_is_bad_user_input(
    gql: Any, field: str, value: Any
) -> None:
    cursor = raw_cursor([field, value, str(uuid.uuid4())])
    order = field.upper()

    errors = await gql.errors(
        "query($after: String, $field: DealOrderField!) "
        "{ deals(first: 2, after: $after, orderBy: {field: $field}) { totalCount } }",
        {"after": cursor, "field": order},
    )

    assert codes(errors) == ["BAD_USER_INPUT"]


async def test_cursor_made_for_another_order_field_is_bad_user_input(gql: Any, make: Any) -> None:
    # given a cursor of a list ordered by name
    await make_customers(make)
    cursor = (await page(gql, first=2))["pageInfo"]["endCursor"]

    # when it is used with a list ordered by creation time
    errors = await gql.errors(
        CUSTOMERS, {"first": 2, "after": cursor, "orderBy": {"field": "CREATED_AT"}}
    )

    # then
    assert codes(errors) == ["BAD_USER_INPUT"]
    assert errors[0]["extensions"]["argument"] == "after"


async def test_cursor_of_a_deleted_row_still_marks_its_position(gql: Any, make: Any) -> None:
    # given a cursor on C, then C is deleted
    rows = await make_customers(make)
    connection = await page(gql, first=3)
    deleted = await gql(
        "mutation($id: ID!){ deleteCustomer(id: $id) { errors { code } } }",
        {"id": gid("Customer", rows[2])},
    )
    assert deleted["deleteCustomer"]["errors"] == []

    # when
    rest = await page(gql, first=2, after=connection["pageInfo"]["endCursor"])

    # then
    assert names_of(rest) == NAMES[3:5]


# --- Nested connections -----------------------------------------------------------------------

NESTED = """
query($first: Int, $after: String, $last: Int, $before: String, $filter: CustomerFilter) {
  customers(filter: $filter) {
    nodes {
      name
      contacts(first: $first, after: $after, last: $last, before: $before) {
        nodes { lastName }
        pageInfo { hasNextPage hasPreviousPage endCursor startCursor }
        totalCount
      }
    }
  }
}
"""


async def make_two_customers_with_contacts(make: Any) -> tuple[Any, Any]:
    acme = await make.customer(name="Acme")
    for last_name in ("Cole", "Ames", "Baker"):
        await make.contact(customer_id=acme.id, last_name=last_name)
    globex = await make.customer(name="Globex")
    for last_name in ("Dunn", "Brown", "Adams", "Clark"):
        await make.contact(customer_id=globex.id, last_name=last_name)
    return acme, globex


def nested(customers: dict[str, Any]) -> list[tuple[str, list[str], bool, int]]:
    return [
        (
            node["name"],
            [contact["lastName"] for contact in node["contacts"]["nodes"]],
            node["contacts"]["pageInfo"]["hasNextPage"],
            node["contacts"]["totalCount"],
        )
        for node in customers["nodes"]
    ]


async def test_nested_connection_gives_each_parent_its_own_first_page(gql: Any, make: Any) -> None:
    await make_two_customers_with_contacts(make)

    data = await gql(NESTED, {"first": 2})

    assert nested(data["customers"]) == [
        ("Acme", ["Ames", "Baker"], True, 3),
        ("Globex", ["Adams", "Brown"], True, 4),
    ]


async def test_nested_connection_pages_one_parent_with_first_and_after(gql: Any, make: Any) -> None:
    # given
    _, globex = await make_two_customers_with_contacts(make)
    only_globex = {"id": {"eq": gid("Customer", globex)}}

    # when
    async def fetch(after: str | None) -> dict[str, Any]:
        data = await gql(NESTED, {"first": 3, "after": after, "filter": only_globex})
        return data["customers"]["nodes"][0]["contacts"]  # type: ignore[no-any-return]

    pages = await walk(fetch)

    # then
    assert [[node["lastName"] for node in p["nodes"]] for p in pages] == [
        ["Adams", "Brown", "Clark"],
        ["Dunn"],
    ]
    assert [p["pageInfo"]["hasPreviousPage"] for p in pages] == [False, True]
    assert [p["totalCount"] for p in pages] == [4, 4]


async def test_nested_connection_pages_backward_with_last(gql: Any, make: Any) -> None:
    await make_two_customers_with_contacts(make)

    data = await gql(NESTED, {"last": 2})

    assert nested(data["customers"]) == [
        ("Acme", ["Baker", "Cole"], False, 3),
        ("Globex", ["Clark", "Dunn"], False, 4),
    ]
    flags = [node["contacts"]["pageInfo"]["hasPreviousPage"] for node in data["customers"]["nodes"]]
    assert flags == [True, True]


async def test_nested_cursor_marks_a_position_in_every_parents_list(gql: Any, make: Any) -> None:
    # given the cursor after Acme's "Baker"
    await make_two_customers_with_contacts(make)
    first = await gql(NESTED, {"first": 2})
    cursor = first["customers"]["nodes"][0]["contacts"]["pageInfo"]["endCursor"]

    # when the same cursor pages both customers' contacts
    data = await gql(NESTED, {"first": 2, "after": cursor})

    # then each list continues after the position ("Baker", id) in its own order
    assert nested(data["customers"]) == [
        ("Acme", ["Cole"], False, 3),
        ("Globex", ["Brown", "Clark"], True, 4),
    ]


async def test_nested_connection_pages_by_creation_time(gql: Any, make: Any) -> None:
    # given deals created in an order unrelated to their names (deals list by createdAt)
    await make.pipeline()
    customer = await make.customer(name="Acme")
    created = ["Deal C", "Deal A", "Deal E", "Deal B", "Deal D"]
    for name in created:
        await make.deal(customer_id=customer.id, name=name)
    query = """
    query($after: String) {
      customers { nodes { deals(first: 2, after: $after) {
        nodes { name } pageInfo { hasNextPage endCursor } totalCount
      } } }
    }"""

    async def fetch(after: str | None) -> dict[str, Any]:
        data = await gql(query, {"after": after})
        return data["customers"]["nodes"][0]["deals"]  # type: ignore[no-any-return]

    # when
    pages = await walk(fetch)

    # then
    assert [node["name"] for p in pages for node in p["nodes"]] == created
    assert [p["totalCount"] for p in pages] == [5, 5, 5]


async def test_nested_connection_rejects_a_bad_cursor(gql: Any, make: Any) -> None:
    await make_two_customers_with_contacts(make)

    errors = await gql.errors(NESTED, {"first": 2, "after": "garbage"})

    assert set(codes(errors)) == {"BAD_USER_INPUT"}
