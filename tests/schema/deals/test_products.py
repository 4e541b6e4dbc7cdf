"""The product catalogue, prices per currency, and deal line items that make the amount."""

from decimal import Decimal
from typing import Any

import httpx
from sqlalchemy import select

from app.http.auth import issue_token
from kernel.principal import Principal, PrincipalKind
from kernel.tables import table_of
from models import AuditEntry, DealLineItem
from tests.conftest import GraphQLClient
from tests.factories import gid

PRODUCT = """
query($id: ID!) { node(id: $id) { ... on Product { name version prices { nodes { currency unitPrice } } } } }
"""
SET_ITEMS = """
mutation($deal: ID!, $items: [DealLineItemInput!]!) {
  setDealLineItems(dealId: $deal, items: $items) {
    deal { amount lineItems { nodes { position quantity unitPrice discountPercent amount product { sku } } } }
    errors { code field }
  }
}
"""
UPDATE_DEAL = """
mutation($id: ID!, $input: UpdateDealInput!) {
  updateDeal(id: $id, input: $input) { deal { amount currency } errors { code field } }
}
"""
DEAL = "query($id: ID!) { node(id: $id) { ... on Deal { amount lineItems { totalCount } } } }"


def _item(product: Any, quantity: str, **extra: str) -> dict[str, str]:
    return {"productId": gid("Product", product), "quantity": quantity, **extra}


async def _deal(make: Any, **values: Any) -> Any:
    await make.pipeline()
    return await make.deal(customer_id=(await make.customer()).id, **values)


async def test_create_product_with_prices(gql: Any) -> None:
    data = await gql(
        """mutation { createProduct(input: {name: "Seat", sku: "LIC-SEAT",
             prices: [{currency: "EUR", unitPrice: "49.00"}, {currency: "USD", unitPrice: "55.00"}]}) {
             product { name sku active prices { nodes { currency unitPrice } } } errors { code } } }"""
    )

    assert data["createProduct"] == {
        "product": {
            "name": "Seat",
            "sku": "LIC-SEAT",
            "active": True,
            "prices": {
                "nodes": [
                    {"currency": "EUR", "unitPrice": "49.00"},
                    {"currency": "USD", "unitPrice": "55.00"},
                ]
            },
        },
        "errors": [],
    }


async def test_sku_is_unique(gql: Any, make: Any) -> None:
    await make.product(sku="LIC-SEAT")

    data = await gql(
        'mutation { createProduct(input: {name: "Other", sku: "LIC-SEAT"}) { errors { code field } } }'
    )

    assert data["createProduct"]["errors"] == [{"code": "DUPLICATE", "field": ["input", "sku"]}]


async def test_set_product_price_adds_or_replaces_one_currency(gql: Any, make: Any) -> None:
    product = await make.product(prices=[{"currency": "EUR", "unit_price": "10"}])
    set_price = """mutation($id: ID!, $c: String!, $p: Decimal!) {
      setProductPrice(productId: $id, currency: $c, unitPrice: $p) { errors { code } } }"""

    await gql(set_price, {"id": gid("Product", product), "c": "EUR", "p": "12.50"})
    await gql(set_price, {"id": gid("Product", product), "c": "GBP", "p": "11"})
    data = await gql(PRODUCT, {"id": gid("Product", product)})

    assert data["node"]["prices"]["nodes"] == [
        {"currency": "EUR", "unitPrice": "12.50"},
        {"currency": "GBP", "unitPrice": "11.00"},
    ]
    assert data["node"]["version"] == 3


async def test_set_product_price_refuses_a_bad_currency(gql: Any, make: Any) -> None:
    product = await make.product()

    data = await gql(
        """mutation($id: ID!) { setProductPrice(productId: $id, currency: "euro", unitPrice: "1") {
             product { id } errors { code field } } }""",
        {"id": gid("Product", product)},
    )

    assert data["setProductPrice"]["errors"] == [{"code": "VALIDATION", "field": ["currency"]}]


async def test_remove_product_price(gql: Any, make: Any, session_factory: Any) -> None:
    product = await make.product(
        prices=[{"currency": "EUR", "unit_price": "10"}, {"currency": "USD", "unit_price": "11"}]
    )

    data = await gql(
        """mutation($id: ID!) { removeProductPrice(productId: $id, currency: "USD") {
             product { prices { nodes { currency } } } errors { code } } }""",
        {"id": gid("Product", product)},
    )

    assert data["removeProductPrice"]["product"]["prices"]["nodes"] == [{"currency": "EUR"}]
    audit = table_of(AuditEntry)
    async with session_factory() as session:
        changes = await session.scalars(
            select(audit.c.changes)
            .where(audit.c.action == "product.prices_changed")
            .order_by(audit.c.occurred_at)
        )
    assert changes.all()[-1] == {"USD": {"old": "11.00", "new": None}}


async def test_removing_a_missing_price_is_not_found(gql: Any, make: Any) -> None:
    product = await make.product()

    data = await gql(
        """mutation($id: ID!) { removeProductPrice(productId: $id, currency: "USD") {
             errors { code field } } }""",
        {"id": gid("Product", product)},
    )

    assert data["removeProductPrice"]["errors"] == [{"code": "NOT_FOUND", "field": ["currency"]}]


async def test_sales_rep_cannot_change_the_catalogue(
    http: httpx.AsyncClient, settings: Any
) -> None:
    rep = GraphQLClient(
        http, issue_token(settings, Principal("r", PrincipalKind.OPERATOR, role="sales_rep"))
    )

    body = (
        await rep.raw(
            'mutation { createProduct(input: {name: "X", sku: "X"}) { errors { code } } }'
        )
    ).json()

    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_line_items_make_the_deal_amount(gql: Any, make: Any) -> None:
    deal = await _deal(make, amount=Decimal(1))
    seat = await make.product(sku="SEAT", prices=[{"currency": "EUR", "unit_price": "49.99"}])
    setup = await make.product(sku="SETUP")

    data = await gql(
        SET_ITEMS,
        {
            "deal": gid("Deal", deal),
            "items": [
                _item(seat, "3", discountPercent="12.5"),  # 3 x 49.99 x 0.875 = 131.22375
                _item(setup, "1", unitPrice="500"),
            ],
        },
    )

    assert data["setDealLineItems"]["errors"] == []
    result = data["setDealLineItems"]["deal"]
    assert result["amount"] == "631.22"
    assert result["lineItems"]["nodes"] == [
        {
            "position": 0,
            "quantity": "3.0000",
            "unitPrice": "49.99",
            "discountPercent": "12.50",
            "amount": "131.22",
            "product": {"sku": "SEAT"},
        },
        {
            "position": 1,
            "quantity": "1.0000",
            "unitPrice": "500.00",
            "discountPercent": "0.00",
            "amount": "500.00",
            "product": {"sku": "SETUP"},
        },
    ]


async def test_line_item_price_defaults_to_the_price_in_the_deals_currency(
    gql: Any, make: Any
) -> None:
    deal = await _deal(make, currency="USD")
    product = await make.product(
        prices=[{"currency": "EUR", "unit_price": "10"}, {"currency": "USD", "unit_price": "12"}]
    )

    data = await gql(SET_ITEMS, {"deal": gid("Deal", deal), "items": [_item(product, "2")]})

    assert data["setDealLineItems"]["deal"]["amount"] == "24.00"


async def test_line_item_without_price_in_the_deals_currency_is_refused(
    gql: Any, make: Any
) -> None:
    deal = await _deal(make, currency="USD", amount=Decimal(700))
    product = await make.product(prices=[{"currency": "EUR", "unit_price": "10"}])

    data = await gql(SET_ITEMS, {"deal": gid("Deal", deal), "items": [_item(product, "2")]})
    after = await gql(DEAL, {"id": gid("Deal", deal)})

    assert data["setDealLineItems"]["errors"] == [
        {"code": "VALIDATION", "field": ["items", "0", "unitPrice"]}
    ]
    assert after["node"] == {"amount": "700.00", "lineItems": {"totalCount": 0}}


async def test_line_item_quantity_must_be_positive(gql: Any, make: Any) -> None:
    deal = await _deal(make)
    product = await make.product()

    data = await gql(
        SET_ITEMS, {"deal": gid("Deal", deal), "items": [_item(product, "0", unitPrice="1")]}
    )

    assert data["setDealLineItems"]["errors"] == [
        {"code": "VALIDATION", "field": ["items", "0", "quantity"]}
    ]


async def test_inactive_product_cannot_be_added(gql: Any, make: Any) -> None:
    deal = await _deal(make)
    product = await make.product(active=False)

    data = await gql(
        SET_ITEMS, {"deal": gid("Deal", deal), "items": [_item(product, "1", unitPrice="1")]}
    )

    assert data["setDealLineItems"]["errors"] == [
        {"code": "VALIDATION", "field": ["items", "0", "productId"]}
    ]


async def test_setting_line_items_replaces_the_previous_ones(
    gql: Any, make: Any, session_factory: Any
) -> None:
    deal = await _deal(make)
    first, second = await make.product(), await make.product()
    await gql(SET_ITEMS, {"deal": gid("Deal", deal), "items": [_item(first, "1", unitPrice="5")]})

    data = await gql(
        SET_ITEMS, {"deal": gid("Deal", deal), "items": [_item(second, "2", unitPrice="7")]}
    )

    assert data["setDealLineItems"]["deal"]["amount"] == "14.00"
    lines = table_of(DealLineItem)
    async with session_factory() as session:
        products = (await session.scalars(select(lines.c.product_id))).all()
    assert products == [second.id]


async def test_amount_cannot_be_set_while_the_deal_has_line_items(gql: Any, make: Any) -> None:
    deal = await _deal(make)
    product = await make.product()
    await gql(SET_ITEMS, {"deal": gid("Deal", deal), "items": [_item(product, "1", unitPrice="5")]})

    data = await gql(UPDATE_DEAL, {"id": gid("Deal", deal), "input": {"amount": "999"}})
    after = await gql(DEAL, {"id": gid("Deal", deal)})

    assert data["updateDeal"]["errors"] == [{"code": "VALIDATION", "field": ["input", "amount"]}]
    assert after["node"]["amount"] == "5.00"


async def test_currency_cannot_change_while_the_deal_has_line_items(gql: Any, make: Any) -> None:
    deal = await _deal(make)
    product = await make.product()
    await gql(SET_ITEMS, {"deal": gid("Deal", deal), "items": [_item(product, "1", unitPrice="5")]})

    data = await gql(UPDATE_DEAL, {"id": gid("Deal", deal), "input": {"currency": "USD"}})

    assert data["updateDeal"]["errors"] == [{"code": "VALIDATION", "field": ["input", "currency"]}]


async def test_removing_all_line_items_frees_the_amount(gql: Any, make: Any) -> None:
    deal = await _deal(make)
    product = await make.product()
    await gql(SET_ITEMS, {"deal": gid("Deal", deal), "items": [_item(product, "1", unitPrice="5")]})

    cleared = await gql(SET_ITEMS, {"deal": gid("Deal", deal), "items": []})
    data = await gql(UPDATE_DEAL, {"id": gid("Deal", deal), "input": {"amount": "999"}})

    assert cleared["setDealLineItems"]["deal"]["lineItems"]["nodes"] == []
    assert data["updateDeal"] == {"deal": {"amount": "999", "currency": "EUR"}, "errors": []}


async def test_line_items_of_an_invisible_deal_cannot_be_set(
    http: httpx.AsyncClient, settings: Any, make: Any
) -> None:
    deal = await _deal(make)
    product = await make.product()
    rep_user = await make.user(role="sales_rep")
    rep = GraphQLClient(
        http,
        issue_token(
            settings,
            Principal(str(rep_user.id), PrincipalKind.USER, role="sales_rep", user_id=rep_user.id),
        ),
    )

    data = await rep(
        SET_ITEMS, {"deal": gid("Deal", deal), "items": [_item(product, "1", unitPrice="5")]}
    )

    assert data["setDealLineItems"]["errors"] == [{"code": "NOT_FOUND", "field": ["dealId"]}]
