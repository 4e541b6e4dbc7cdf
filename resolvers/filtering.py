"""One filter language for every type: per-field operators, and/or/not, related records."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, false, not_, or_, select, true
from sqlalchemy.sql.elements import KeyedColumnElement

Filter = Mapping[str, Any]


@dataclass(frozen=True)
class Relation:
    """A related record type a filter may reach into, correlated to the parent row."""

    target: Callable[[], FilterSpec]
    correlate: Callable[[], ColumnElement[bool]]
    many: bool


@dataclass(frozen=True)
class FilterSpec:
    """Which fields of a table can be filtered on, and which relations followed."""

    table: Any
    fields: Mapping[str, KeyedColumnElement[Any]]
    relations: Mapping[str, Relation] = field(default_factory=dict)
    soft_delete: KeyedColumnElement[Any] | None = None
    # Free-text search: columns matched case-insensitively by `search:`.
    search: tuple[KeyedColumnElement[Any], ...] = ()


def _operator(column: KeyedColumnElement[Any], op: str, value: Any) -> ColumnElement[bool]:
    condition: ColumnElement[bool] = _comparison(column, op, value)
    return condition


def _comparison(column: KeyedColumnElement[Any], op: str, value: Any) -> Any:
    match op:
        case "eq":
            return column.is_(None) if value is None else column == value
        case "ne":
            return column.is_not(None) if value is None else column != value
        case "in_":
            return column.in_(list(value))
        case "not_in":
            return column.not_in(list(value))
        case "lt":
            return column < value
        case "lte":
            return column <= value
        case "gt":
            return column > value
        case "gte":
            return column >= value
        case "contains":
            return column.icontains(value, autoescape=True)
        case "starts_with":
            return column.istartswith(value, autoescape=True)
        case "is_null":
            return column.is_(None) if value else column.is_not(None)
    raise ValueError(f"unknown filter operator {op}")


Visibility = Callable[[str], ColumnElement[bool] | None]


def _relation(relation: Relation, value: Filter, visible: Visibility | None) -> ColumnElement[bool]:
    target = relation.target()
    if relation.many:
        clauses = []
        if value.get("some") is not None:
            clauses.append(_exists(target, relation, value["some"], visible))
        if value.get("none") is not None:
            clauses.append(~_exists(target, relation, value["none"], visible))
        return and_(true(), *clauses)
    return _exists(target, relation, value, visible)


def _exists(
    target: FilterSpec, relation: Relation, value: Filter, visible: Visibility | None
) -> ColumnElement[bool]:
    conditions = [relation.correlate(), compile_filter(target, value, visible)]
    # Related rows the principal may not see must not decide a match either.
    if visible is not None and (condition := visible(target.table.name)) is not None:
        conditions.append(condition)
    if target.soft_delete is not None:
        conditions.append(target.soft_delete.is_(None))
    return exists(select(1).select_from(target.table).where(*conditions))


def compile_filter(
    spec: FilterSpec, value: Filter | None, visible: Visibility | None = None
) -> ColumnElement[bool]:
    """A SQL condition for a filter object; an empty or missing filter matches everything."""
    if not value:
        return true()
    clauses: list[ColumnElement[bool]] = []
    for key, item in value.items():
        if item is None:
            continue
        if key == "and_":
            clauses.append(and_(true(), *(compile_filter(spec, part, visible) for part in item)))
        elif key == "or_":
            clauses.append(or_(false(), *(compile_filter(spec, part, visible) for part in item)))
        elif key == "not_":
            clauses.append(not_(compile_filter(spec, item, visible)))
        elif key in spec.fields:
            column = spec.fields[key]
            clauses.extend(
                _operator(column, op, arg)
                for op, arg in item.items()
                if arg is not None or op in ("eq", "ne")
            )
        elif key in spec.relations:
            clauses.append(_relation(spec.relations[key], item, visible))
        else:
            raise ValueError(f"cannot filter on {key}")
    return and_(true(), *clauses)


def search_condition(spec: FilterSpec, text: str | None) -> ColumnElement[bool]:
    """Every word of ``text`` must appear in one of the searchable columns."""
    words = text.split() if text else []
    if not words or not spec.search:
        return true()
    return and_(
        *(
            or_(*(column.icontains(word, autoescape=True) for column in spec.search))
            for word in words
        )
    )
