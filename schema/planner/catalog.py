"""What each field of the schema reads, as far as the planner can serve it."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any

from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLScalarType,
    GraphQLSchema,
)
from sqlalchemy import Table
from strawberry.types.field import StrawberryField

from kernel.permissions import Scope
from resolvers.graph import SPECS
from schema.node import Node
from schema.sources import SOURCE, Children, NodeLookup, Parent, Personal, RootList

Serialize = Callable[[Any], Any]


class UnplannableError(Exception):
    """Raised when an operation (or this execution of it) must go through graphql-core."""


@dataclass(frozen=True)
class Leaf:
    """How a column value becomes JSON: the type's serializer, its nullability, list or not."""

    serialize: Serialize
    nullable: bool
    many: bool

    def __call__(self, value: Any) -> Any:
        if value is None:
            if not self.nullable:
                raise UnplannableError("null in a non-null field")
            return None
        if self.many:
            return [self.serialize(item) for item in value]
        return self.serialize(value)


@dataclass(frozen=True)
class Column:
    attribute: str
    leaf: Leaf
    # The column holds exactly what the type serializes to (a str for a String): read as is.
    verbatim: bool = False
    # For an enum stored as strings: each stored string and the name it serializes to.
    names: tuple[tuple[str, str], ...] | None = None


@dataclass(frozen=True)
class GlobalId:
    type_name: str


@dataclass(frozen=True)
class PersonalColumn:
    column: str
    mask: Callable[[Any], Any]
    leaf: Leaf


@dataclass(frozen=True)
class ToOne:
    key: str
    table: Table
    target: GraphQLObjectType
    nullable: bool


@dataclass(frozen=True)
class ToMany:
    source: Children
    connection: GraphQLObjectType


@dataclass(frozen=True)
class List:
    source: RootList
    connection: GraphQLObjectType


@dataclass(frozen=True)
class Lookup:
    many: bool


Kind = Column | GlobalId | PersonalColumn | ToOne | ToMany | List | Lookup


@dataclass(frozen=True)
class FieldInfo:
    """A field the planner can serve: what it reads and the scopes reading it needs."""

    kind: Kind
    scopes: tuple[Scope, ...]
    definition: GraphQLField
    strawberry_field: StrawberryField


def _named(type_: GraphQLOutputType) -> tuple[Any, bool, bool]:
    nullable = not isinstance(type_, GraphQLNonNull)
    inner: Any = type_.of_type if isinstance(type_, GraphQLNonNull) else type_
    many = isinstance(inner, GraphQLList)
    if many:
        inner = inner.of_type
        if isinstance(inner, GraphQLNonNull):
            inner = inner.of_type
    return inner, nullable, many


def _leaf(type_: GraphQLOutputType) -> Leaf | None:
    named, nullable, many = _named(type_)
    if not isinstance(named, GraphQLScalarType | GraphQLEnumType):
        return None
    return Leaf(named.serialize, nullable, many)


def _enum_names(leaf: Leaf, definition: GraphQLField) -> tuple[tuple[str, str], ...] | None:
    """Stored string -> enum name, when the type serializes each stored value to its name."""
    named: Any = definition.type
    while hasattr(named, "of_type"):
        named = named.of_type
    if not isinstance(named, GraphQLEnumType) or leaf.many:
        return None
    names = []
    for name, value in named.values.items():
        stored = value.value.value if isinstance(value.value, Enum) else value.value
        if not isinstance(stored, str):
            return None
        try:
            if leaf.serialize(stored) != name:
                return None
        except Exception:  # a serializer refusing the stored form: not mapped
            return None
        names.append((stored, name))
    return tuple(names)


def _scopes(field: StrawberryField) -> tuple[Scope, ...] | None:
    scopes = []
    for permission in field.permission_classes:
        scope = getattr(permission, "required", None)
        if not isinstance(scope, Scope):
            return None
        scopes.append(scope)
    return tuple(scopes)


def node_class(type_: GraphQLObjectType) -> type[Node] | None:
    """The `Node` class of a type whose objects are built from rows by `Node.from_row`."""
    definition = type_.extensions.get("strawberry-definition")
    origin = getattr(definition, "origin", None)
    if not isinstance(origin, type) or not issubclass(origin, Node):
        return None
    if origin.from_row.__func__ is not Node.from_row.__func__:  # type: ignore[attr-defined]
        return None
    return origin


_VERBATIM = {"String": str, "Boolean": bool}


def _verbatim(named: Any, column: Any, many: bool) -> bool:
    expected = _VERBATIM.get(getattr(named, "name", ""))
    try:
        return not many and expected is not None and column.type.python_type is expected
    except NotImplementedError:
        return False


def _table(cls: type[Node]) -> Table | None:
    """The table of a node type named like its spec (`KbArticle` -> `kb_article`); None for one
    named otherwise (`IntegrationConnection`, spec `connection`): not planned."""
    name = cls.type_name()
    key = "".join("_" + char.lower() if char.isupper() else char for char in name).lstrip("_")
    spec = SPECS.get(key)
    return None if spec is None else spec.table


def _columns(cls: type[Node]) -> frozenset[str]:
    return frozenset(field.name for field in dataclasses.fields(cls) if field.init)


class Catalog:
    """The plannable fields of one schema, classified on first use."""

    def __init__(self, schema: GraphQLSchema) -> None:
        self.schema = schema
        self._fields: dict[tuple[str, str], FieldInfo | None] = {}

    def field(self, parent: GraphQLObjectType, name: str) -> FieldInfo | None:
        key = (parent.name, name)
        if key not in self._fields:
            self._fields[key] = self._classify(parent, name)
        return self._fields[key]

    def _classify(self, parent: GraphQLObjectType, name: str) -> FieldInfo | None:
        definition = parent.fields.get(name)
        if definition is None:
            return None
        field = definition.extensions.get("strawberry-definition")
        if not isinstance(field, StrawberryField):
            return None
        scopes = _scopes(field)
        kind = self._kind(parent, definition, field)
        if scopes is None or kind is None:
            return None
        return FieldInfo(kind, scopes, definition, field)

    def _kind(
        self, parent: GraphQLObjectType, definition: GraphQLField, field: StrawberryField
    ) -> Kind | None:
        source = field.metadata.get(SOURCE)
        named, nullable, many = _named(definition.type)
        if isinstance(source, RootList | Children):
            if not isinstance(named, GraphQLObjectType) or many:
                return None
            if isinstance(source, RootList):
                return List(source, named)
            return ToMany(source, named)
        if isinstance(source, NodeLookup):
            return Lookup(source.many)
        cls = node_class(parent)
        if cls is None:
            return None  # a query root field, a connection, a report: not a row
        if isinstance(source, Parent):
            if not isinstance(named, GraphQLObjectType) or many or node_class(named) is None:
                return None
            return ToOne(source.key, SPECS[source.type_key].table, named, nullable)
        leaf = _leaf(definition.type)
        if isinstance(source, Personal):
            return None if leaf is None else PersonalColumn(source.column, source.mask, leaf)
        if source is not None or field.base_resolver is not None or leaf is None:
            return None
        if field.python_name == "id":
            return GlobalId(parent.name)
        table = _table(cls)
        if (
            table is None
            or field.python_name not in _columns(cls)
            or field.python_name not in table.c
        ):
            return None
        column = table.c[field.python_name]
        return Column(
            field.python_name,
            leaf,
            _verbatim(named, column, many),
            _enum_names(leaf, definition),
        )
