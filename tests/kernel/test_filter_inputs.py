"""The JSON shapes of the filters (resolvers/filter_inputs.py) against the GraphQL filter
inputs they stand for: the same fields, kinds, operators, enum names and relations."""

from __future__ import annotations

from typing import Any

import pytest
from graphql import GraphQLEnumType, GraphQLList, GraphQLNonNull

from kernel.filter_inputs import FilterInput, Scalar, camel, operators
from resolvers.filter_inputs import FILTER_INPUTS
from resolvers.graph import SPECS
from tests.kernel.graphql_filters import input_type, named


def _type_name(type_key: str) -> str:
    return "".join(part.title() for part in type_key.split("_"))


def _graphql(type_key: str) -> Any:
    found = input_type(_type_name(type_key))
    assert found is not None
    return found


def _expected_names(shape: FilterInput) -> set[str]:
    names = {camel(name) for name in (*shape.fields, *shape.relations)}
    return names | ({"and", "or", "not"} if shape.combinators else set())


def test_every_type_with_a_graphql_filter_input_has_a_json_shape() -> None:
    with_input = {key for key in SPECS if input_type(_type_name(key)) is not None}

    assert set(FILTER_INPUTS) == with_input


@pytest.mark.parametrize("type_key", sorted(FILTER_INPUTS))
def test_a_json_shape_takes_the_fields_of_its_graphql_input(type_key: str) -> None:
    shape = FILTER_INPUTS[type_key]

    assert set(_graphql(type_key).fields) == _expected_names(shape)
    assert shape.name == _graphql(type_key).name


@pytest.mark.parametrize("type_key", sorted(FILTER_INPUTS))
def test_a_json_shape_gives_each_field_the_operators_and_values_of_its_graphql_input(
    type_key: str,
) -> None:
    graphql_fields = _graphql(type_key).fields
    for name, kind in FILTER_INPUTS[type_key].fields.items():
        conditions = named(graphql_fields[camel(name)].type)
        assert set(conditions.fields) == {camel(op) for op in operators(kind)}, name
        for op in operators(kind):
            field_type = conditions.fields[camel(op)].type
            leaf = named(field_type)
            if op == "is_null":
                assert leaf.name == "Boolean"
                continue
            is_list = isinstance(field_type, GraphQLList)
            assert is_list == (op in ("in_", "not_in")), (name, op)
            if is_list:
                assert isinstance(field_type.of_type, GraphQLNonNull), (name, op)
            if isinstance(kind, Scalar):
                expected = "String" if kind is Scalar.PHONE else kind.value
                assert leaf.name == expected, (name, op)
            else:
                assert isinstance(leaf, GraphQLEnumType)
                assert list(leaf.values) == list(kind.__members__), (name, op)


@pytest.mark.parametrize("type_key", sorted(FILTER_INPUTS))
def test_a_json_shape_follows_the_relations_of_its_graphql_input(type_key: str) -> None:
    shape = FILTER_INPUTS[type_key]
    graphql_fields = _graphql(type_key).fields
    for name in shape.relations:
        relation = shape.spec.relations[name]
        target = _graphql(relation.type_key)
        given = named(graphql_fields[camel(name)].type)
        if relation.many:
            assert set(given.fields) == {"some", "none"}, name
            assert {named(f.type) for f in given.fields.values()} == {target}, name
        else:
            assert given is target, name


@pytest.mark.parametrize("type_key", sorted(FILTER_INPUTS))
def test_a_json_shape_combines_like_its_graphql_input(type_key: str) -> None:
    graphql_fields = _graphql(type_key).fields
    if not FILTER_INPUTS[type_key].combinators:
        return
    own = _graphql(type_key)

    assert isinstance(graphql_fields["and"].type, GraphQLList)
    assert isinstance(graphql_fields["and"].type.of_type, GraphQLNonNull)
    assert named(graphql_fields["and"].type) is own
    assert named(graphql_fields["or"].type) is own
    assert graphql_fields["not"].type is own
