"""Documents too large to be worth validating are refused after a bounded parse, before
graphql-core's validation runs."""

from __future__ import annotations

from typing import Any

import graphql
import pytest
from graphql import parse

from app.http import graphql as graphql_http
from app.http.document_limits import MAX_REPEATS, document_size
from tests.conftest import GraphQLClient


@pytest.fixture
def validations(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the documents graphql-core's validation is run on."""
    calls: list[int] = []
    real = graphql.validate

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(graphql_http, "validate", counting)
    return calls


def _code(errors: list[dict[str, Any]]) -> str:
    return errors[0]["extensions"]["code"]  # type: ignore[no-any-return]


async def test_document_over_the_token_limit_is_refused_without_validation(
    gql: GraphQLClient, validations: list[int]
) -> None:
    flood = "{" + " ".join(f"a{n}: customers {{ totalCount }}" for n in range(2_000)) + "}"

    errors = await gql.errors(flood)

    assert _code(errors) == "LIMIT_EXCEEDED"
    assert "tokens" in errors[0]["message"]
    assert validations == []


async def test_fifty_thousand_typenames_are_refused_at_parse(
    gql: GraphQLClient, validations: list[int]
) -> None:
    errors = await gql.errors("{" + " __typename" * 50_000 + "}")

    assert _code(errors) == "LIMIT_EXCEEDED"
    assert validations == []


async def test_a_field_repeated_in_one_selection_set_is_refused_before_validation(
    gql: GraphQLClient, validations: list[int]
) -> None:
    repeated = "{" + " customers { totalCount }" * (MAX_REPEATS + 1) + "}"

    errors = await gql.errors(repeated)

    assert _code(errors) == "LIMIT_EXCEEDED"
    assert "selected 21 times" in errors[0]["message"]
    assert validations == []


async def test_too_many_selections_are_refused_before_validation(
    gql: GraphQLClient, validations: list[int], settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "max_query_selections", 10)
    wide = "{ customers { nodes { " + " ".join(f"f{n}: name" for n in range(11)) + " } } }"

    errors = await gql.errors(wide)

    assert _code(errors) == "LIMIT_EXCEEDED"
    assert "selections" in errors[0]["message"]
    assert validations == []


async def test_an_ordinary_query_is_validated_once_and_answered(
    gql: GraphQLClient, validations: list[int]
) -> None:
    data = await gql("query Unique { customers(first: 5) { totalCount nodes { id name } } }")

    assert data == {"customers": {"totalCount": 0, "nodes": []}}
    assert validations == [1]


def test_document_size_counts_fields_and_spreads_as_written() -> None:
    document = parse("{ a { b c ...F } } fragment F on T { d e: d }")

    size = document_size(document)

    assert (size.selections, size.repeats) == (6, 1)


def test_document_size_finds_the_worst_repeated_response_name() -> None:
    document = parse("{ x: a y: a a a { b b b } }")

    assert document_size(document).repeats == 3
