"""Dated exchange rates, set by sales managers (or connectors) and listed for reports."""

from typing import Any

import httpx

from app.http.auth import issue_token
from kernel.principal import Principal, PrincipalKind
from tests.conftest import GraphQLClient

SET_RATE = """
mutation($c: String!, $to: String!, $d: Date!, $r: Decimal!) {
  setExchangeRate(currency: $c, toCurrency: $to, rateDate: $d, rate: $r) {
    exchangeRate { currency toCurrency rateDate rate source version }
    errors { code field }
  }
}
"""
RATES = """
query($filter: ExchangeRateFilter) {
  exchangeRates(filter: $filter) { nodes { currency toCurrency rateDate rate } }
}
"""


def _rate(currency: str, to: str, day: str, rate: str) -> dict[str, str]:
    return {"c": currency, "to": to, "d": day, "r": rate}


async def test_set_exchange_rate_records_who_set_it(gql: Any) -> None:
    data = await gql(SET_RATE, _rate("USD", "EUR", "2026-11-25", "0.92"))

    assert data["setExchangeRate"] == {
        "exchangeRate": {
            "currency": "USD",
            "toCurrency": "EUR",
            "rateDate": "2026-11-25",
            "rate": "0.92",
            "source": "operator:tests",
            "version": 1,
        },
        "errors": [],
    }


async def test_setting_a_rate_again_for_the_same_day_replaces_it(gql: Any) -> None:
    await gql(SET_RATE, _rate("USD", "EUR", "2026-11-25", "0.92"))

    data = await gql(SET_RATE, _rate("USD", "EUR", "2026-11-25", "0.915"))
    listed = await gql(RATES)

    assert data["setExchangeRate"]["exchangeRate"]["version"] == 2
    assert [r["rate"] for r in listed["exchangeRates"]["nodes"]] == ["0.9150000000"]


async def test_exchange_rates_filter_by_pair_and_date(gql: Any) -> None:
    for day, rate in (("2026-10-01", "0.90"), ("2026-11-01", "0.91"), ("2026-12-01", "0.93")):
        await gql(SET_RATE, _rate("USD", "EUR", day, rate))
    await gql(SET_RATE, _rate("GBP", "EUR", "2026-11-01", "1.15"))

    data = await gql(
        RATES,
        {"filter": {"currency": {"eq": "USD"}, "rateDate": {"lte": "2026-11-15"}}},
    )

    assert [r["rateDate"] for r in data["exchangeRates"]["nodes"]] == ["2026-10-01", "2026-11-01"]


async def test_a_rate_converts_between_two_currencies(gql: Any) -> None:
    data = await gql(SET_RATE, _rate("EUR", "EUR", "2026-11-25", "1"))
    listed = await gql(RATES)

    assert data["setExchangeRate"]["errors"] == [{"code": "VALIDATION", "field": ["toCurrency"]}]
    assert listed["exchangeRates"]["nodes"] == []


async def test_rate_must_be_positive(gql: Any) -> None:
    data = await gql(SET_RATE, _rate("USD", "EUR", "2026-11-25", "0"))

    assert data["setExchangeRate"]["errors"] == [{"code": "VALIDATION", "field": ["rate"]}]


async def test_sales_rep_cannot_set_rates_but_can_read_them(
    http: httpx.AsyncClient, settings: Any
) -> None:
    rep = GraphQLClient(
        http, issue_token(settings, Principal("r", PrincipalKind.OPERATOR, role="sales_rep"))
    )

    refused = (await rep.raw(SET_RATE, _rate("USD", "EUR", "2026-11-25", "0.92"))).json()
    listed = await rep(RATES)

    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert listed["exchangeRates"]["nodes"] == []
