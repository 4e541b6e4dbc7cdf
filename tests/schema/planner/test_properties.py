"""Property: for any query document over the lists of the schema, the planned executor and
graphql-core give identical responses (data and errors), whoever asks.

Documents are generated from the GraphQL schema itself (not from what the planner knows):
random root lists, random fields of every object reached (leaves, to-one relations, nested
connections with random page arguments and orderings), aliases, fragments and @skip/@include.
"""

from __future__ import annotations

from typing import Any

import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schema import schema
from tests.schema.conftest import ADMIN, PARTNER, READ_ONLY, Both

GRAPHQL = schema._schema
ROOTS = ("customers", "contacts", "deals", "tickets", "users", "campaigns", "pipelines")
PAGE_SIZES = (0, 1, 2, 5, 101)


def _named(type_: Any) -> Any:
    while isinstance(type_, GraphQLNonNull | GraphQLList):
        type_ = type_.of_type
    return type_


def _required_arguments(field: Any) -> bool:
    return any(isinstance(arg.type, GraphQLNonNull) for arg in field.args.values())


def _is_connection(type_: Any) -> bool:
    return isinstance(type_, GraphQLObjectType) and type_.name.endswith("Connection")


@st.composite
def _arguments(draw: st.DrawFn, field: Any) -> str:
    parts = []
    if "first" in field.args and draw(st.booleans()):
        parts.append(f"first: {draw(st.sampled_from(PAGE_SIZES))}")
    order = field.args.get("orderBy")
    if order is not None and draw(st.booleans()):
        order_type = _named(order.type)
        assert isinstance(order_type, GraphQLInputObjectType)
        values = list(_named(order_type.fields["field"].type).values)
        direction = draw(st.sampled_from(["ASC", "DESC"]))
        parts.append(f"orderBy: {{field: {draw(st.sampled_from(values))}, direction: {direction}}}")
    return f"({', '.join(parts)})" if parts else ""


def _directive(draw: st.DrawFn) -> str:
    return draw(st.sampled_from(["", "", "", " @include(if: true)", " @skip(if: true)"]))


@st.composite
def _selection(draw: st.DrawFn, type_: GraphQLObjectType, depth: int) -> str:
    """A selection set for objects of ``type_``: leaves always, relations while depth lasts."""
    leaves = sorted(
        name
        for name, field in type_.fields.items()
        if isinstance(_named(field.type), GraphQLScalarType | GraphQLEnumType) and not field.args
    )
    relations = sorted(
        name
        for name, field in type_.fields.items()
        if isinstance(_named(field.type), GraphQLObjectType)
        and not _required_arguments(field)
        and (_is_connection(_named(field.type)) or not isinstance(field.type, GraphQLList))
    )
    chosen = draw(
        st.lists(st.sampled_from(leaves or ["__typename"]), min_size=1, max_size=6, unique=True)
    )
    parts = []
    for index, name in enumerate(chosen):
        alias = f"a{index}: " if draw(st.integers(0, 4)) == 0 else ""
        parts.append(f"{alias}{name}{_directive(draw)}")
    if depth > 0 and relations:
        for name in draw(st.lists(st.sampled_from(relations), max_size=2, unique=True)):
            field = type_.fields[name]
            target = _named(field.type)
            if _is_connection(target):
                inner = _named(target.fields["nodes"].type)
                nodes = draw(_selection(inner, depth - 1))
                count = " totalCount" if draw(st.booleans()) else ""
                page = " pageInfo { hasNextPage endCursor }" if draw(st.booleans()) else ""
                body = f"{{{count}{page} nodes {{ {nodes} }} }}"
                parts.append(f"{name}{draw(_arguments(field))}{_directive(draw)} {body}")
            else:
                parts.append(
                    f"{name}{_directive(draw)} {{ {draw(_selection(target, depth - 1))} }}"
                )
    if draw(st.integers(0, 3)) == 0:
        parts.append(f"... on {type_.name} {{ __typename {chosen[0]} }}")
    return " ".join(parts)


@st.composite
def documents(draw: st.DrawFn) -> str:
    roots = draw(st.lists(st.sampled_from(ROOTS), min_size=1, max_size=2, unique=True))
    parts = []
    for name in roots:
        field = GRAPHQL.query_type.fields[name]  # type: ignore[union-attr]
        node_type = _named(_named(field.type).fields["nodes"].type)
        nodes = draw(_selection(node_type, 2))
        edges = " edges { cursor node { id } }" if draw(st.booleans()) else ""
        parts.append(f"{name}{draw(_arguments(field))} {{ totalCount{edges} nodes {{ {nodes} }} }}")
    return "query { " + " ".join(parts) + " }"


@pytest.mark.parametrize("principal", [ADMIN, READ_ONLY, PARTNER], ids=lambda p: p.subject)
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(document=documents())
async def test_any_document_answers_alike(
    both: Both, seeded: None, principal: Any, document: str
) -> None:
    planned, core = await both.bodies(principal, document)

    assert _comparable(planned) == _comparable(core), document


def _comparable(response: tuple[int, Any]) -> Any:
    """The response as compared. When an error reaches the root (`data` null), graphql-core
    stops at whichever of the concurrently resolved fields failed first, so two runs of
    graphql-core itself may list different errors: then the codes are compared."""
    status, body = response
    if body.get("data") is None and body.get("errors"):
        return status, None, {error["extensions"]["code"] for error in body["errors"]}
    return status, body
