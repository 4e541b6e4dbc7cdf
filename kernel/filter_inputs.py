"""The form of a type's filter as JSON, as its GraphQL filter input takes it: which fields of
its FilterSpec (and of what kind, hence with which operators), which relations, and whether
and/or/not combine it. `kernel.filter_json` reads and writes filters of these forms."""

from __future__ import annotations

import difflib
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy.types import TypeDecorator, TypeEngine

from kernel.filtering import FilterSpec


class Scalar(Enum):
    """What a filterable field holds, as the API's filter inputs name it."""

    STRING = "String"
    INT = "Int"
    DECIMAL = "Decimal"
    DATE_TIME = "DateTime"
    DATE = "Date"
    BOOLEAN = "Boolean"
    ID = "ID"
    # An encrypted phone, compared by its keyed hash: equality only.
    PHONE = "Phone"


FieldKind = Scalar | type[Enum]

_ORDERED = ("eq", "ne", "in_", "not_in", "lt", "lte", "gt", "gte", "is_null")
_EQUALITY = ("eq", "ne", "in_", "not_in", "is_null")
# The operators of each kind (enums take _EQUALITY), by their names in a Filter.
OPERATORS: Mapping[Scalar, tuple[str, ...]] = {
    Scalar.STRING: (*_ORDERED[:-1], "contains", "starts_with", "is_null"),
    Scalar.INT: _ORDERED,
    Scalar.DECIMAL: _ORDERED,
    Scalar.DATE_TIME: _ORDERED,
    Scalar.DATE: _ORDERED,
    Scalar.BOOLEAN: ("eq", "is_null"),
    Scalar.ID: _EQUALITY,
    Scalar.PHONE: ("eq", "in_"),
}
LIST_OPERATORS = ("in_", "not_in")
COMBINATORS = {"and": "and_", "or": "or_", "not": "not_"}
_PYTHON_KINDS: Mapping[type, Scalar] = {
    str: Scalar.STRING,
    int: Scalar.INT,
    Decimal: Scalar.DECIMAL,
    datetime: Scalar.DATE_TIME,
    date: Scalar.DATE,
    bool: Scalar.BOOLEAN,
    uuid.UUID: Scalar.ID,
}


def camel(name: str) -> str:
    """A Filter key as the API spells it (`starts_with` -> `startsWith`, `in_` -> `in`)."""
    head, *rest = name.rstrip("_").split("_")
    return head + "".join(part.title() for part in rest)


def operators(kind: FieldKind) -> tuple[str, ...]:
    return OPERATORS[kind] if isinstance(kind, Scalar) else _EQUALITY


def kind_name(kind: FieldKind) -> str:
    return kind.value if isinstance(kind, Scalar) else kind.__name__


@dataclass(frozen=True)
class FilterInput:
    """One type's filter as JSON: the fields of its FilterSpec it takes (and their kinds),
    the relations it may follow and whether and/or/not combine it."""

    name: str
    spec: FilterSpec
    fields: Mapping[str, FieldKind]
    relations: tuple[str, ...] = ()
    combinators: bool = True
    _keys: Mapping[str, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        unknown = [name for name in self.fields if name not in self.spec.fields]
        unknown += [name for name in self.relations if name not in self.spec.relations]
        if unknown:
            raise ValueError(f"{self.name}: {', '.join(unknown)} not in its FilterSpec")
        keys = {camel(name): name for name in (*self.fields, *self.relations)}
        if self.combinators:
            keys.update(COMBINATORS)
        object.__setattr__(self, "_keys", keys)

    def key(self, json_name: str) -> str | None:
        """The Filter key of a JSON name, None when the input has no such field."""
        return self._keys.get(json_name)

    def close_to(self, json_name: str) -> list[str]:
        """The JSON names the input has that look like ``json_name`` (a typo's fix)."""
        return difflib.get_close_matches(json_name, list(self._keys), n=3)


def column_kind(column_type: TypeEngine[Any]) -> Scalar:
    """The kind of a column, by the Python type it holds (a decorated type's underneath)."""
    while isinstance(column_type, TypeDecorator):
        column_type = column_type.impl_instance
    return _PYTHON_KINDS[column_type.python_type]


def filter_input(
    name: str,
    spec: FilterSpec,
    fields: Iterable[str],
    relations: Iterable[str] = (),
    kinds: Mapping[str, FieldKind] | None = None,
    combinators: bool = True,
) -> FilterInput:
    """A type's filter input over ``spec``: each field's kind from its column unless given."""
    given = kinds or {}
    return FilterInput(
        name,
        spec,
        {f: given[f] if f in given else column_kind(spec.fields[f].type) for f in fields},
        tuple(relations),
        combinators,
    )


FilterInputs = Mapping[str, FilterInput]
