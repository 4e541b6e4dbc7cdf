"""Limits checked before execution: depth, cost, aliases, root fields and introspection.

Cost counts every field once per object it may be resolved for: a connection multiplies its
children by its page size (`first`/`last`, 20 when absent), `nodes(ids:)` by the ids given.
So `first: 100` three levels deep costs about a million, and a normal nested page a few
thousand.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    ListValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
)

DEFAULT_PAGE = 20
INTROSPECTION_FIELDS = {"__schema", "__type"}


@dataclass(frozen=True)
class Limits:
    max_depth: int = 12
    max_cost: int = 25_000
    max_aliases: int = 30
    max_root_fields: int = 20


@dataclass
class Shape:
    """What an operation asks for, measured on its document and variables."""

    depth: int = 0
    cost: int = 0
    aliases: int = 0
    root_fields: int = 0
    introspection: bool = False

    def violation(self, limits: Limits) -> str | None:
        """Why the operation may not run, or None."""
        for measured, limit, what in (
            (self.depth, limits.max_depth, "depth"),
            (self.cost, limits.max_cost, "cost"),
            (self.aliases, limits.max_aliases, "aliases"),
            (self.root_fields, limits.max_root_fields, "root fields"),
        ):
            if measured > limit:
                return f"query {what} {measured} exceeds the limit of {limit}"
        return None


def _int_argument(field: FieldNode, name: str, variables: Mapping[str, Any]) -> int | None:
    for argument in field.arguments or ():
        if argument.name.value != name:
            continue
        value = argument.value
        if isinstance(value, IntValueNode):
            return int(value.value)
        if isinstance(value, VariableNode):
            raw = variables.get(value.name.value)
            return raw if isinstance(raw, int) else None
    return None


def _list_length(field: FieldNode, name: str, variables: Mapping[str, Any]) -> int | None:
    for argument in field.arguments or ():
        if argument.name.value == name:
            if isinstance(argument.value, ListValueNode):
                return len(argument.value.values)
            if isinstance(argument.value, VariableNode):
                raw = variables.get(argument.value.name.value)
                return len(raw) if isinstance(raw, list) else None
    return None


class _Measure:
    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: Mapping[str, FragmentDefinitionNode],
        variables: Mapping[str, Any],
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables
        self.shape = Shape()

    def multiplier(self, field: FieldNode, named: GraphQLNamedType) -> int:
        if named.name.endswith("Connection"):
            size = _int_argument(field, "first", self.variables)
            if size is None:
                size = _int_argument(field, "last", self.variables)
            return max(size if size is not None else DEFAULT_PAGE, 1)
        if field.name.value == "nodes" and field.arguments:
            return max(_list_length(field, "ids", self.variables) or 1, 1)
        return 1

    def walk(
        self,
        selections: SelectionSetNode,
        parent: GraphQLNamedType,
        depth: int,
        weight: int,
        seen: frozenset[str] = frozenset(),
    ) -> None:
        self.shape.depth = max(self.shape.depth, depth)
        for selection in selections.selections:
            if isinstance(selection, FieldNode):
                self.field(selection, parent, depth, weight, seen)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                target = self.schema.get_type(condition.name.value) if condition else parent
                self.walk(selection.selection_set, target or parent, depth, weight, seen)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.fragments.get(name)
                if fragment is None or name in seen:
                    continue
                target = self.schema.get_type(fragment.type_condition.name.value) or parent
                self.walk(fragment.selection_set, target, depth, weight, seen | {name})

    def field(
        self,
        node: FieldNode,
        parent: GraphQLNamedType,
        depth: int,
        weight: int,
        seen: frozenset[str],
    ) -> None:
        name = node.name.value
        if name in INTROSPECTION_FIELDS:
            self.shape.introspection = True
        if node.alias is not None:
            self.shape.aliases += 1
        self.shape.cost += weight
        fields = getattr(parent, "fields", None)
        definition = fields.get(name) if isinstance(fields, dict) else None
        if definition is None or node.selection_set is None:
            return
        named = get_named_type(definition.type)
        self.walk(node.selection_set, named, depth + 1, weight * self.multiplier(node, named), seen)


def measure(
    schema: GraphQLSchema,
    operation: OperationDefinitionNode,
    fragments: Mapping[str, FragmentDefinitionNode],
    variables: Mapping[str, Any] | None,
) -> Shape:
    """Depth, cost, aliases and root fields of one operation of a validated document."""
    root: GraphQLObjectType | None = schema.get_root_type(operation.operation)
    walker = _Measure(schema, fragments, variables or {})
    if root is None:
        return walker.shape
    before = walker.shape.cost
    walker.walk(operation.selection_set, root, 1, 1)
    # Root fields are the fields at weight 1 directly below the root (fragments expanded).
    walker.shape.root_fields = _count_root_fields(operation.selection_set, fragments)
    walker.shape.cost = max(walker.shape.cost, before)
    return walker.shape


def _count_root_fields(
    selections: SelectionSetNode, fragments: Mapping[str, FragmentDefinitionNode]
) -> int:
    count = 0
    for selection in selections.selections:
        if isinstance(selection, FieldNode):
            count += 1
        elif isinstance(selection, InlineFragmentNode):
            count += _count_root_fields(selection.selection_set, fragments)
        elif isinstance(selection, FragmentSpreadNode):
            fragment = fragments.get(selection.name.value)
            if fragment is not None:
                count += _count_root_fields(fragment.selection_set, fragments)
    return count
