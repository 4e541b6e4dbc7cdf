"""Line amounts: quantity x unit price x (1 - discount), rounded half up to cents."""

from decimal import Decimal

import pytest

from resolvers.deals.line_items import line_amount


@pytest.mark.parametrize(
    ("quantity", "unit_price", "discount", "amount"),
    [
        ("3", "49.99", "12.5", "131.22"),  # 131.22375
        ("1", "0.05", "50", "0.03"),  # 0.025 rounds half up
        ("2.5", "10", "0", "25.00"),
        ("7", "19.99", "100", "0.00"),
    ],
)
def test_line_amount_applies_the_discount_and_rounds_to_cents(
    quantity: str, unit_price: str, discount: str, amount: str
) -> None:
    assert line_amount(Decimal(quantity), Decimal(unit_price), Decimal(discount)) == Decimal(amount)
