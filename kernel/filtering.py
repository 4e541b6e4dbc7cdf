"""One filter language for every type: per-field operators, and/or/not, related records."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, false, not_, or_, select, true
from sqlalchemy.sql.elements import KeyedColumnElement

from kernel.errors import ErrorCode, InvalidArgumentError, UserError
from kernel.permissions import Scope

Filter = Mapping[str, Any]
Path = tuple[str, ...]


@dataclass(frozen=True)
class Relation:
    """A related record type a filter may reach into, correlated to the parent row."""

    type_key: str
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
    # Personal data: masked without `pii:read`, and then neither filtered nor searched on
    # (a count of matches would answer what the mask hides).
    personal: frozenset[str] = frozenset()

    def search_columns(self, personal_data: bool) -> tuple[KeyedColumnElement[Any], ...]:
        """The searchable columns; without ``personal_data`` only those that are not."""
        if personal_data:
            return self.search
        return tuple(column for column in self.search if column.key not in self.personal)


Visibility = Callable[[str], ColumnElement[bool] | None]


@dataclass(frozen=True)
class FilterAccess:
    """What a principal may use in a filter: the rows that may decide a match, whether
    personal data may be compared, and which related types may be followed."""

    visible: Visibility
    personal_data: bool
    # The scope missing to read a type's records (by type key), or None when they may be read.
    missing_scope: Callable[[str], str | None]


class ForbiddenFilterError(InvalidArgumentError):
    """A filter names a field or relation the principal may not read; nothing was evaluated."""

    def __init__(self, message: str, path: Path, scope: str) -> None:
        super().__init__(message, path[0])
        self.path = path
        self.scope = scope

    def user_error(self) -> UserError:
        return UserError(ErrorCode.FORBIDDEN, str(self), self.path)


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


def _relation(
    relation: Relation, value: Filter, access: FilterAccess | None, path: Path
) -> ColumnElement[bool]:
    target = relation.target()
    if access is not None and (scope := access.missing_scope(relation.type_key)) is not None:
        raise ForbiddenFilterError(
            f"filtering on {path[-1]} requires the {scope} scope", path, scope
        )
    if relation.many:
        clauses = []
        for key in ("some", "none"):
            if value.get(key) is not None:
                match = _exists(target, relation, value[key], access, (*path, key))
                clauses.append(match if key == "some" else ~match)
        return and_(true(), *clauses)
    return _exists(target, relation, value, access, path)


def _exists(
    target: FilterSpec,
    relation: Relation,
    value: Filter,
    access: FilterAccess | None,
    path: Path,
) -> ColumnElement[bool]:
    conditions = [relation.correlate(), compile_filter(target, value, access, path)]
    # Related rows the principal may not see must not decide a match either.
    if access is not None and (condition := access.visible(target.table.name)) is not None:
        conditions.append(condition)
    if target.soft_delete is not None:
        conditions.append(target.soft_delete.is_(None))
    return exists(select(1).select_from(target.table).where(*conditions))


def compile_filter(
    spec: FilterSpec,
    value: Filter | None,
    access: FilterAccess | None = None,
    path: Path = ("filter",),
) -> ColumnElement[bool]:
    """A SQL condition for a filter object; an empty or missing filter matches everything.

    With ``access`` (a principal's, not the system's), fields and relations it may not read
    raise ForbiddenFilterError at their ``path``, and rows it may not see match nothing.
    """
    if not value:
        return true()
    clauses: list[ColumnElement[bool]] = []
    for key, item in value.items():
        if item is None:
            continue
        at = (*path, key)
        if key in ("and_", "or_"):
            parts = [
                compile_filter(spec, part, access, (*at, str(i))) for i, part in enumerate(item)
            ]
            clauses.append(and_(true(), *parts) if key == "and_" else or_(false(), *parts))
        elif key == "not_":
            clauses.append(not_(compile_filter(spec, item, access, at)))
        elif key in spec.fields:
            if access is not None and not access.personal_data and key in spec.personal:
                scope = Scope.PII_READ.value
                raise ForbiddenFilterError(
                    f"filtering on {key} requires the {scope} scope", at, scope
                )
            column = spec.fields[key]
            clauses.extend(
                _operator(column, op, arg)
                for op, arg in item.items()
                if arg is not None or op in ("eq", "ne")
            )
        elif key in spec.relations:
            clauses.append(_relation(spec.relations[key], item, access, at))
        else:
            raise ValueError(f"cannot filter on {key}")
    return and_(true(), *clauses)


def search_condition(
    spec: FilterSpec, text: str | None, personal_data: bool
) -> ColumnElement[bool]:
    """Every word of ``text`` must appear in one of the searchable columns (personal ones only
    with ``personal_data``)."""
    words = text.split() if text else []
    columns = spec.search_columns(personal_data)
    if not words or not columns:
        return true()
    return and_(
        *(or_(*(column.icontains(word, autoescape=True) for column in columns)) for word in words)
    )
