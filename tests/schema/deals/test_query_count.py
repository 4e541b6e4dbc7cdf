"""Deals with their line items, products and prices: one statement per level, whatever the page."""

from decimal import Decimal
from typing import Any

NESTED = """
query($first: Int!) {
  deals(first: $first) {
    nodes {
      name
      lineItems { totalCount nodes { amount product { sku prices { nodes { currency unitPrice } } } } }
    }
  }
}
"""
# deals page, line items page, line item counts, products, product prices; or all in one,
# except on SQLite, whose parser refuses four levels of subqueries in one statement.
EXPECTED_STATEMENTS = 5


async def _seed(make: Any, deals: int) -> None:
    await make.pipeline()
    customer = await make.customer()
    products = [
        await make.product(prices=[{"currency": "EUR", "unit_price": Decimal(n + 1)}])
        for n in range(3)
    ]
    for n in range(deals):
        items = [{"product_id": product.id, "quantity": Decimal(n + 1)} for product in products[:2]]
        # The amount must match the items: (n + 1) x (1 + 2).
        await make.deal(customer_id=customer.id, line_items=items, amount=Decimal(3 * (n + 1)))


async def _statements_for(gql: Any, count_statements: Any, first: int) -> int:
    with count_statements() as counter:
        data = await gql(NESTED, {"first": first})
    assert len(data["deals"]["nodes"]) == first
    assert all(deal["lineItems"]["totalCount"] == 2 for deal in data["deals"]["nodes"])
    return counter.count  # type: ignore[no-any-return]


async def test_deals_with_line_items_statement_count_does_not_grow_with_page_size(
    gql: Any, make: Any, count_statements: Any, one_statement: bool, settings: Any
) -> None:
    await _seed(make, deals=12)

    for_three = await _statements_for(gql, count_statements, 3)
    for_twelve = await _statements_for(gql, count_statements, 12)

    one = one_statement and not settings.is_sqlite
    assert for_three == for_twelve == (1 if one else EXPECTED_STATEMENTS)
