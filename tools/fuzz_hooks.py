"""What schemathesis loads through SCHEMATHESIS_HOOKS for `make fuzz`: the check that fails a
response, and strategies for the schema's custom scalars.

Schemathesis' own `not_a_server_error` also fails every GraphQL `errors` array, which for this
API is mostly the typed refusals it is built to give (BAD_USER_INPUT, FORBIDDEN,
LIMIT_EXCEEDED). A 5xx or an INTERNAL_SERVER_ERROR is what no input may cause.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import graphql
import schemathesis
from hypothesis import strategies as st
from schemathesis.graphql import nodes

SCHEMA_FILE = Path(__file__).resolve().parent.parent / "schema.graphql"


def filter_words(schema: graphql.GraphQLSchema) -> list[str]:
    """Every field name of the filter inputs: JSON filters (segments, rule conditions, exports)
    draw their keys mostly from these, so that they get parsed deeply."""
    return sorted(
        {
            name
            for type_ in schema.type_map.values()
            if isinstance(type_, graphql.GraphQLInputObjectType) and type_.name.endswith("Filter")
            for name in type_.fields
        }
    )


FILTER_WORDS = filter_words(graphql.build_schema(SCHEMA_FILE.read_text()))


@schemathesis.check
def no_internal_error(ctx: Any, response: Any, case: Any) -> bool | None:
    """No 5xx status and no GraphQL error whose code is INTERNAL_SERVER_ERROR."""
    if response.status_code >= 500:
        raise AssertionError(f"server error {response.status_code}: {response.text[:500]}")
    try:
        body = response.json()
    except ValueError as exc:
        raise AssertionError(f"not JSON: {response.text[:200]}") from exc
    errors = body.get("errors") or [] if isinstance(body, dict) else []
    for error in errors:
        if (error.get("extensions") or {}).get("code") == "INTERNAL_SERVER_ERROR":
            raise AssertionError(f"internal error: {error}")
    return None


def _decimals() -> st.SearchStrategy[graphql.ValueNode]:
    """Decimal takes strings and numbers; the edges (NaN, huge exponents, junk) matter most."""
    edges = st.sampled_from(["NaN", "-Infinity", "1e999999999", "-0", "0.0000000001", "1E+30"])
    return st.one_of(
        st.decimals(allow_nan=False, allow_infinity=False, places=2).map(str).map(nodes.String),
        st.integers(min_value=-(10**12), max_value=10**12).map(nodes.Int),
        st.floats(allow_nan=False, allow_infinity=False).map(nodes.Float),
        edges.map(nodes.String),
        st.text(max_size=8).map(nodes.String),
    )


def _json_value(depth: int) -> st.SearchStrategy[graphql.ValueNode]:
    """Any JSON literal, objects keyed mostly by filter words so that filters get parsed deeply."""
    leaves = st.one_of(
        st.just(nodes.Null),
        st.booleans().map(nodes.Boolean),
        st.integers(min_value=-(2**31), max_value=2**31 - 1).map(nodes.Int),
        st.text(max_size=12).map(nodes.String),
        st.sampled_from(["OPEN", "WON", "2026-01-01", "2026-01-01T00:00:00Z", "1.5"]).map(
            nodes.String
        ),
    )
    if depth == 0:
        return leaves
    inner = _json_value(depth - 1)
    keys = st.one_of(st.sampled_from(FILTER_WORDS), st.from_regex(r"\A[_A-Za-z]\w{0,8}\Z"))
    fields = st.lists(st.tuples(keys, inner), max_size=4, unique_by=lambda kv: kv[0]).map(
        lambda pairs: nodes.Object(
            [graphql.ObjectFieldNode(name=graphql.NameNode(value=k), value=v) for k, v in pairs]
        )
    )
    return st.one_of(leaves, fields, st.lists(inner, max_size=3).map(nodes.List))


schemathesis.graphql.scalar("Decimal", _decimals())
schemathesis.graphql.scalar("JSON", _json_value(depth=3))
# An Upload is a multipart file part; in a JSON request any literal for it must be refused.
schemathesis.graphql.scalar(
    "Upload", st.one_of(st.just(nodes.Null), st.text(max_size=8).map(nodes.String))
)
