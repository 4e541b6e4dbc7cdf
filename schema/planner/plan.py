"""Plans: a validated operation turned into what each level fetches and how it is answered."""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLIncludeDirective,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLSkipDirective,
    GraphQLUnionType,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
)
from graphql.execution.values import VariableValues, get_directive_values

from kernel.permissions import Scope
from schema.ids import encode_id
from schema.planner.catalog import (
    Catalog,
    Column,
    FieldInfo,
    GlobalId,
    Leaf,
    List,
    Lookup,
    PersonalColumn,
    ToMany,
    ToOne,
    UnplannableError,
)

# What an entry of an object's answer is: a constant, a value read off the row, a personal
# value (masked or not, by the principal), or the result of one of the object's relations.
TYPENAME, VALUE, PERSONAL, RELATION = range(4)
_PAGE_INFO = frozenset(("__typename", "hasNextPage", "hasPreviousPage", "startCursor", "endCursor"))


@dataclass
class ObjectPlan:
    """The answer for objects of one type: its entries in response order, its relations."""

    type_name: str
    entries: list[tuple[str, int, Any]] = field(default_factory=list)
    relations: list[RelationPlan] = field(default_factory=list)
    # What each value entry reads, by response key (the one-statement compiler needs it).
    leaves: dict[str, Column | GlobalId | PersonalColumn] = field(default_factory=dict)
    # The columns its rows must hold: those shown, the keys of its to-one relations, the id.
    columns: set[str] = field(default_factory=lambda: {"id"})


@dataclass
class ParentPlan:
    info: FieldInfo
    kind: ToOne
    child: ObjectPlan


@dataclass
class ConnectionPlan:
    """A page of objects: `totalCount`, `pageInfo`, `edges` and `nodes` in response order."""

    type_name: str
    entries: list[tuple[str, str, Any]] = field(default_factory=list)
    counts: bool = False

    @property
    def columns(self) -> tuple[str, ...]:
        """The columns every object plan of its page needs, in a stable order."""
        names = {"id"}
        for _, name, arg in self.entries:
            if name == "nodes":
                names |= arg.columns
            elif name == "edges":
                names.update(*(plan.columns for _, edge, plan in arg if edge == "node"))
        return tuple(sorted(names))


@dataclass
class ChildrenPlan:
    info: FieldInfo
    kind: ToMany
    node: FieldNode
    connection: ConnectionPlan


RelationPlan = ParentPlan | ChildrenPlan


@dataclass
class ListPlan:
    key: str
    info: FieldInfo
    kind: List
    node: FieldNode
    connection: ConnectionPlan


@dataclass
class LookupPlan:
    key: str
    info: FieldInfo
    node: FieldNode
    # One plan per type an id may name (and the scopes it needs), compiled when an id of
    # that type first comes; None where the planner does not cover that type.
    by_type: dict[str, tuple[ObjectPlan, frozenset[Scope]] | None] = field(default_factory=dict)
    selections: list[FieldNode] = field(default_factory=list)


@dataclass
class OperationPlan:
    """A whole query: its root entries and every scope any of its fields needs."""

    roots: list[tuple[str, int, Any]]
    scopes: frozenset[Scope]
    compiler: Compiler


def _value_getter(kind: Column | GlobalId) -> Callable[[Any], Any]:
    if isinstance(kind, GlobalId):
        type_name = kind.type_name
        return lambda row: encode_id(type_name, row.id)
    attribute, leaf = kind.attribute, kind.leaf
    if not kind.verbatim:
        return lambda row: leaf(getattr(row, attribute))
    get = operator.attrgetter(attribute)
    if leaf.nullable:
        return get

    def non_null(row: Any) -> Any:
        value = get(row)
        if value is None:
            raise UnplannableError("null in a non-null field")
        return value

    return non_null


def _personal(kind: PersonalColumn) -> tuple[str, Callable[[Any], Any], Leaf]:
    return kind.column, kind.mask, kind.leaf


class Compiler:
    """Collects fields as graphql-core does (fragments, @skip/@include) and plans each level."""

    def __init__(
        self,
        catalog: Catalog,
        fragments: dict[str, FragmentDefinitionNode],
        variables: VariableValues,
    ) -> None:
        self.catalog = catalog
        self.schema: GraphQLSchema = catalog.schema
        self.fragments = fragments
        self.variables = variables
        self.scopes: set[Scope] = set()

    def operation(self, operation: OperationDefinitionNode) -> OperationPlan:
        if operation.operation is not OperationType.QUERY:
            raise UnplannableError("not a query")
        query = self.schema.query_type
        assert query is not None
        roots: list[tuple[str, int, Any]] = []
        for key, nodes in self.collect(query, [operation.selection_set]).items():
            name = nodes[0].name.value
            if name == "__typename":
                roots.append((key, TYPENAME, query.name))
                continue
            info = self._info(query, name)
            kind = info.kind
            if isinstance(kind, List):
                connection = self.connection(kind.connection, nodes)
                roots.append((key, RELATION, ListPlan(key, info, kind, nodes[0], connection)))
            elif isinstance(kind, Lookup):
                roots.append((key, RELATION, LookupPlan(key, info, nodes[0], selections=nodes)))
            else:
                raise UnplannableError(f"root field {name}")
        return OperationPlan(roots, frozenset(self.scopes), self)

    def _info(self, parent: GraphQLObjectType, name: str) -> FieldInfo:
        info = self.catalog.field(parent, name)
        if info is None:
            raise UnplannableError(f"{parent.name}.{name}")
        self.scopes.update(info.scopes)
        return info

    def object(self, type_: GraphQLObjectType, nodes: list[FieldNode]) -> ObjectPlan:
        plan = ObjectPlan(type_.name)
        selection_sets = [node.selection_set for node in nodes if node.selection_set]
        for key, fields in self.collect(type_, selection_sets).items():
            name = fields[0].name.value
            if name == "__typename":
                plan.entries.append((key, TYPENAME, type_.name))
                continue
            info = self._info(type_, name)
            kind = info.kind
            if isinstance(kind, Column | GlobalId):
                plan.entries.append((key, VALUE, _value_getter(kind)))
                plan.leaves[key] = kind
                if isinstance(kind, Column):
                    plan.columns.add(kind.attribute)
            elif isinstance(kind, PersonalColumn):
                plan.entries.append((key, PERSONAL, _personal(kind)))
                plan.leaves[key] = kind
                plan.columns.add(kind.column)
            elif isinstance(kind, ToOne):
                plan.columns.add(kind.key)
                child = self.object(kind.target, fields)
                plan.entries.append((key, RELATION, len(plan.relations)))
                plan.relations.append(ParentPlan(info, kind, child))
            elif isinstance(kind, ToMany):
                connection = self.connection(kind.connection, fields)
                plan.entries.append((key, RELATION, len(plan.relations)))
                plan.relations.append(ChildrenPlan(info, kind, fields[0], connection))
            else:
                raise UnplannableError(f"{type_.name}.{name}")
        return plan

    def connection(self, type_: GraphQLObjectType, nodes: list[FieldNode]) -> ConnectionPlan:
        plan = ConnectionPlan(type_.name)
        selection_sets = [node.selection_set for node in nodes if node.selection_set]
        for key, fields in self.collect(type_, selection_sets).items():
            name = fields[0].name.value
            if name == "__typename":
                plan.entries.append((key, name, type_.name))
            elif name == "totalCount":
                plan.counts = True
                plan.entries.append((key, name, None))
            elif name == "pageInfo":
                page_info = self._named_object(type_, name)
                plan.entries.append((key, name, self._page_info(page_info, fields)))
            elif name == "nodes":
                node_type = self._named_object(type_, name)
                plan.entries.append((key, name, self.object(node_type, fields)))
            elif name == "edges":
                edge_type = self._named_object(type_, name)
                plan.entries.append((key, name, self._edge(edge_type, fields)))
            else:
                raise UnplannableError(f"{type_.name}.{name}")
        return plan

    def _named_object(self, parent: GraphQLObjectType, name: str) -> GraphQLObjectType:
        type_: Any = parent.fields[name].type
        while hasattr(type_, "of_type"):
            type_ = type_.of_type
        if not isinstance(type_, GraphQLObjectType):
            raise UnplannableError(f"{parent.name}.{name}")
        return type_

    def _page_info(
        self, type_: GraphQLObjectType, nodes: list[FieldNode]
    ) -> list[tuple[str, str, Any]]:
        selection_sets = [node.selection_set for node in nodes if node.selection_set]
        entries: list[tuple[str, str, Any]] = []
        for key, fields in self.collect(type_, selection_sets).items():
            name = fields[0].name.value
            if name not in _PAGE_INFO:
                raise UnplannableError(f"{type_.name}.{name}")
            entries.append((key, name, type_.name))
        return entries

    def _edge(self, type_: GraphQLObjectType, nodes: list[FieldNode]) -> list[tuple[str, str, Any]]:
        selection_sets = [node.selection_set for node in nodes if node.selection_set]
        entries: list[tuple[str, str, Any]] = []
        for key, fields in self.collect(type_, selection_sets).items():
            name = fields[0].name.value
            if name == "__typename":
                entries.append((key, name, type_.name))
            elif name == "cursor":
                entries.append((key, name, None))
            elif name == "node":
                entries.append((key, name, self.object(self._named_object(type_, name), fields)))
            else:
                raise UnplannableError(f"{type_.name}.{name}")
        return entries

    def lookup_plan(
        self, plan: LookupPlan, type_name: str
    ) -> tuple[ObjectPlan, frozenset[Scope]] | None:
        """The answer for a `node`/`nodes` object of ``type_name``, compiled once per type."""
        if type_name not in plan.by_type:
            type_ = self.schema.type_map.get(type_name)
            outer, self.scopes = self.scopes, set()
            try:
                if not isinstance(type_, GraphQLObjectType):
                    raise UnplannableError(type_name)
                plan.by_type[type_name] = (
                    self.object(type_, plan.selections),
                    frozenset(self.scopes),
                )
            except UnplannableError:
                plan.by_type[type_name] = None
            finally:
                self.scopes = outer
        return plan.by_type[type_name]

    def collect(
        self, type_: GraphQLObjectType, selection_sets: list[SelectionSetNode]
    ) -> dict[str, list[FieldNode]]:
        """The fields of ``selection_sets`` for objects of ``type_``, by response key."""
        fields: dict[str, list[FieldNode]] = {}
        visited: set[str] = set()
        for selection_set in selection_sets:
            self._collect(type_, selection_set, fields, visited)
        return fields

    def _collect(
        self,
        type_: GraphQLObjectType,
        selection_set: SelectionSetNode,
        fields: dict[str, list[FieldNode]],
        visited: set[str],
    ) -> None:
        for selection in selection_set.selections:
            if not self._included(selection):
                continue
            if isinstance(selection, FieldNode):
                key = selection.alias.value if selection.alias else selection.name.value
                fields.setdefault(key, []).append(selection)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                if condition is None or self._matches(condition.name.value, type_):
                    self._collect(type_, selection.selection_set, fields, visited)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.fragments.get(name)
                if name in visited or fragment is None:
                    continue
                visited.add(name)
                if self._matches(fragment.type_condition.name.value, type_):
                    self._collect(type_, fragment.selection_set, fields, visited)

    def _included(self, node: Any) -> bool:
        for directive in node.directives or ():
            name = directive.name.value
            if name not in ("skip", "include"):
                raise UnplannableError(f"@{name}")
        skip = get_directive_values(GraphQLSkipDirective, node, self.variables)
        if skip and skip.get("if") is True:
            return False
        include = get_directive_values(GraphQLIncludeDirective, node, self.variables)
        return not (include and include.get("if") is False)

    def _matches(self, condition: str, type_: GraphQLObjectType) -> bool:
        if condition == type_.name:
            return True
        abstract = self.schema.type_map.get(condition)
        if isinstance(abstract, GraphQLInterfaceType | GraphQLUnionType):
            return self.schema.is_sub_type(abstract, type_)
        return False
