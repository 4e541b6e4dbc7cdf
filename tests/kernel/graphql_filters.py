"""The reference reading of a JSON filter: the way the API reads a filter argument, through the
main strawberry schema (graphql-core's validation and coercion, strawberry's conversion, then
`to_filter`). The kernel's codec must agree with it."""

from __future__ import annotations

from typing import Any

from graphql import GraphQLInputObjectType, GraphQLList, GraphQLNonNull, coerce_input_value
from graphql.utilities import validate_input_value
from strawberry.types.arguments import convert_argument

from kernel.filtering import Filter
from schema import schema
from schema.filters import to_filter


class RefusedError(Exception):
    """The API refused the filter; ``messages`` say why."""

    def __init__(self, messages: list[str]) -> None:
        super().__init__("; ".join(messages))
        self.messages = messages


def input_type(type_name: str) -> GraphQLInputObjectType | None:
    """The GraphQL filter input of a type (`ContactFilter`), None when it has none."""
    found = schema._schema.type_map.get(f"{type_name}Filter")
    return found if isinstance(found, GraphQLInputObjectType) else None


def named(type_: Any) -> Any:
    while isinstance(type_, GraphQLNonNull | GraphQLList):
        type_ = type_.of_type
    return type_


def graphql_filter(type_name: str, value: Any) -> Filter:
    """The filter the API reads from ``value`` given as the filter of ``type_name``."""
    graphql_type = input_type(type_name)
    assert graphql_type is not None, type_name
    messages: list[str] = []
    validate_input_value(value, graphql_type, lambda error, path: messages.append(error.message))
    if messages:
        raise RefusedError(messages)
    definition = schema.get_type_by_name(graphql_type.name)
    converted = convert_argument(
        coerce_input_value(value, graphql_type),
        definition.origin,  # type: ignore[union-attr,arg-type]
        schema.schema_converter.scalar_registry,
        schema.config,
    )
    try:
        return to_filter(converted)  # type: ignore[no-any-return]
    except ValueError as exc:
        raise RefusedError([str(exc)]) from exc
