"""Nested queries cost one SQL statement per level, however many parents a page holds."""

from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from app.seed import seed

NESTED = """
query Nested($first: Int!) {
  customers(first: $first) {
    totalCount
    nodes {
      name
      owner { name }
      contacts(first: 5) { totalCount nodes { firstName email customer { name } } }
      deals(first: 3) { nodes { name amount stage { name kind } history { nodes { changedAt } } } }
      tickets(first: 2) { nodes { subject comments(first: 5) { nodes { body author { name } } } } }
    }
  }
}
"""

# customers page, total count, owners, contacts page, contacts' total counts, contacts'
# customers, deals, stages, stage histories, tickets, comments, comment authors.
EXPECTED_STATEMENTS = 12


async def _statements_for(gql: Any, count_statements: Any, first: int) -> int:
    with count_statements() as counter:
        data = await gql(NESTED, {"first": first})
    assert len(data["customers"]["nodes"]) == first
    return counter.count  # type: ignore[no-any-return]


async def test_nested_query_statement_count_does_not_grow_with_page_size(
    gql: Any, engine: AsyncEngine, count_statements: Any
) -> None:
    await seed(engine, customers=100)

    for_ten = await _statements_for(gql, count_statements, 10)
    for_hundred = await _statements_for(gql, count_statements, 100)

    assert for_ten == for_hundred == EXPECTED_STATEMENTS


async def test_nested_page_returns_every_child(gql: Any, engine: AsyncEngine) -> None:
    await seed(engine, customers=12)

    data = await gql(NESTED, {"first": 12})

    for customer in data["customers"]["nodes"]:
        assert customer["contacts"]["totalCount"] == 5
        assert len(customer["contacts"]["nodes"]) == 5
        assert all(c["customer"]["name"] == customer["name"] for c in customer["contacts"]["nodes"])
        assert len(customer["deals"]["nodes"]) == 3
        assert all(len(d["history"]["nodes"]) == 1 for d in customer["deals"]["nodes"])
        assert [len(t["comments"]["nodes"]) for t in customer["tickets"]["nodes"]] == [2, 2]
