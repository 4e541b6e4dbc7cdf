"""Stored filters as JSON, in the shape of a type's GraphQL filter input (camelCase names,
operators, and/or/not, related records, global ids, enum names, ISO dates and decimals as
text; the forms are in `kernel.filter_inputs`), read into the `Filter` that `compile_filter`
takes, and written back.

Segments, automation conditions and export jobs store filters in this form; reading them here
keeps the jobs and services free of the GraphQL schema. The reader accepts what the GraphQL
input accepts (nulls, a single value for a list) and gives the value the API's path gives.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, DecimalException
from enum import Enum
from typing import Any

# The parser of the API's DateTime scalar: stored filters read a time as the API does.
from dateutil.parser import isoparse

from kernel.filter_inputs import (
    LIST_OPERATORS,
    FieldKind,
    FilterInput,
    FilterInputs,
    Scalar,
    camel,
    kind_name,
    operators,
)
from kernel.filtering import Filter, Path
from kernel.ids import decode_id, encode_id


@dataclass(frozen=True)
class FilterProblem:
    """Why part of a JSON filter was refused; ``path`` leads to the offending value (for an
    unknown name, to the name itself, with ``unknown`` set)."""

    message: str
    path: Path
    unknown: bool = False

    def __str__(self) -> str:
        where = ".".join(self.path) or "filter"
        return f"{where}: {self.message}"


class InvalidFilterError(ValueError):
    """A JSON filter that is not one of its type: every problem found, each at its path."""

    def __init__(self, problems: list[FilterProblem]) -> None:
        super().__init__("; ".join(map(str, problems)))
        self.problems = problems


def decode_filter(inputs: FilterInputs, type_key: str, value: Any) -> Filter:
    """The Filter of a JSON filter of ``type_key``; InvalidFilterError when it is none."""
    reader = _Reader(inputs)
    result = reader.filter(inputs[type_key], value, ())
    if reader.problems:
        raise InvalidFilterError(reader.problems)
    assert result is not None
    return result


def _shown(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value)


def _items(value: Any, path: Path) -> list[tuple[Any, Path]]:
    """A list's items at their paths; as in GraphQL, a single value stands for a list of one."""
    if isinstance(value, list | tuple):
        return [(item, (*path, str(i))) for i, item in enumerate(value)]
    return [(value, path)]


class _Reader:
    def __init__(self, inputs: FilterInputs) -> None:
        self.inputs = inputs
        self.problems: list[FilterProblem] = []

    def problem(self, message: str, path: Path, unknown: bool = False) -> None:
        self.problems.append(FilterProblem(message, path, unknown))

    def filter(self, input_: FilterInput, value: Any, path: Path) -> dict[str, Any] | None:
        if not isinstance(value, Mapping):
            self.problem(f"expected an object ({input_.name}), found {_shown(value)}", path)
            return None
        result: dict[str, Any] = {}
        for name, item in value.items():
            at = (*path, str(name))
            key = input_.key(name) if isinstance(name, str) else None
            if key is None:
                close = input_.close_to(str(name))
                hint = f" (did you mean {' or '.join(close)}?)" if close else ""
                self.problem(f"{input_.name} has no field {name!r}{hint}", at, unknown=True)
            elif item is None:
                result[key] = None
            elif key in ("and_", "or_"):
                result[key] = [self.filter(input_, part, p) for part, p in _items(item, at)]
            elif key == "not_":
                result[key] = self.filter(input_, item, at)
            elif key in input_.fields:
                result[key] = self.conditions(input_.fields[key], item, at)
            else:
                result[key] = self.relation(input_, key, item, at)
        return result

    def relation(self, input_: FilterInput, key: str, value: Any, path: Path) -> Any:
        relation = input_.spec.relations[key]
        target = self.inputs[relation.type_key]
        if not relation.many:
            return self.filter(target, value, path)
        if not isinstance(value, Mapping):
            message = f"expected an object ({{some, none}} of {target.name}), found {_shown(value)}"
            self.problem(message, path)
            return None
        result: dict[str, Any] = {}
        for name, item in value.items():
            at = (*path, str(name))
            if name not in ("some", "none"):
                self.problem(f"a list filter takes some and none, not {name!r}", at, unknown=True)
            else:
                result[name] = None if item is None else self.filter(target, item, at)
        return result

    def conditions(self, kind: FieldKind, value: Any, path: Path) -> dict[str, Any] | None:
        allowed = operators(kind)
        if not isinstance(value, Mapping):
            self.problem(
                f"expected an object ({kind_name(kind)} conditions), found {_shown(value)}", path
            )
            return None
        result: dict[str, Any] = {}
        for name, item in value.items():
            at = (*path, str(name))
            op = next((op for op in allowed if camel(op) == name), None)
            if op is None:
                names = ", ".join(camel(op) for op in allowed)
                message = f"{kind_name(kind)} conditions take {names}, not {name!r}"
                self.problem(message, at, unknown=True)
            elif item is None:
                result[op] = None
            elif op == "is_null":
                result[op] = self.scalar(Scalar.BOOLEAN, item, at)
            elif op in LIST_OPERATORS:
                result[op] = [self.scalar(kind, one, p) for one, p in _items(item, at)]
            else:
                result[op] = self.scalar(kind, item, at)
        return result

    def scalar(self, kind: FieldKind, value: Any, path: Path) -> Any:
        try:
            return _scalar(kind, value)
        except ValueError as exc:
            self.problem(str(exc), path)
            return None


def _scalar(kind: FieldKind, value: Any) -> Any:
    """A JSON value as the Python value of its kind; ValueError when it is not one."""
    if value is None:
        raise ValueError(f"expected a {kind_name(kind)}, found null")
    if not isinstance(kind, Scalar):
        if isinstance(value, str) and value in kind.__members__:
            return kind.__members__[value]
        names = ", ".join(kind.__members__)
        raise ValueError(f"expected a {kind.__name__} (one of {names}), found {_shown(value)}")
    match kind:
        case Scalar.STRING | Scalar.PHONE if isinstance(value, str):
            return value
        case Scalar.BOOLEAN if isinstance(value, bool):
            return value
        case Scalar.INT if _is_int(value):
            return int(value)
        case Scalar.DECIMAL:
            return _decimal(value)
        case Scalar.DATE_TIME if isinstance(value, str):
            return _date_time(value)
        case Scalar.DATE if isinstance(value, str):
            try:
                return date.fromisoformat(value)
            except ValueError:
                raise ValueError(f"{value!r} is not an ISO date") from None
        case Scalar.ID if isinstance(value, str):
            return _id(value)
        case Scalar.ID:
            raise ValueError(f"{_shown(value)} is not a valid id")
    raise ValueError(f"expected a {kind_name(kind)}, found {_shown(value)}")


def _is_int(value: Any) -> bool:
    # GraphQL's Int: 32 bits, and a float only when it is a whole number.
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    if isinstance(value, float) and not value.is_integer():
        return False
    return -(2**31) <= value < 2**31


def _decimal(value: Any) -> Decimal:
    # As the API's Decimal: any JSON value whose text is a decimal (numbers too).
    try:
        return Decimal(str(value))
    except DecimalException:
        raise ValueError(f"{_shown(value)} is not a decimal") from None


def _date_time(value: str) -> datetime:
    try:
        parsed: datetime = isoparse(value)
    except ValueError:
        raise ValueError(f"{value!r} is not an ISO date and time") from None
    if parsed.tzinfo is None:
        # Stored times are UTC instants; a time without a zone names none of them.
        raise ValueError(f"{parsed.isoformat()} has no time zone")
    return parsed


def _id(value: str) -> uuid.UUID:
    try:
        # Like the API's id filters: the row's UUID, whatever type the id names.
        return decode_id(value)[1]
    except ValueError:
        raise ValueError(f"{value!r} is not a valid id") from None


# --- writing: Filter -> JSON ---


def encode_filter(
    inputs: FilterInputs, type_key: str, filter_: Filter, id_type: str | None = None
) -> dict[str, Any]:
    """The JSON form of a Filter of ``type_key`` (`decode_filter` reads it back); ids are
    written as global ids of ``id_type``, by default the filtered type (a filter reads only
    their UUID)."""
    input_ = inputs[type_key]
    own = id_type or input_.name.removesuffix("Filter")
    result: dict[str, Any] = {}
    for key, item in filter_.items():
        name = camel(key)
        if item is None:
            result[name] = None
        elif key in ("and_", "or_"):
            result[name] = [encode_filter(inputs, type_key, part, id_type) for part in item]
        elif key == "not_":
            result[name] = encode_filter(inputs, type_key, item, id_type)
        elif key in input_.fields:
            kind = input_.fields[key]
            result[name] = {
                camel(op): _encode_value(kind, arg, op, own) for op, arg in item.items()
            }
        else:
            result[name] = _encode_relation(inputs, input_, key, item, id_type)
    return result


def _encode_relation(
    inputs: FilterInputs, input_: FilterInput, key: str, value: Filter, id_type: str | None
) -> dict[str, Any]:
    relation = input_.spec.relations[key]
    if not relation.many:
        return encode_filter(inputs, relation.type_key, value, id_type)
    return {
        name: None if part is None else encode_filter(inputs, relation.type_key, part, id_type)
        for name, part in value.items()
    }


def _encode_value(kind: FieldKind, value: Any, op: str, id_type: str) -> Any:
    if value is None or op == "is_null":
        return value
    if op in LIST_OPERATORS:
        return [_encode_value(kind, item, "eq", id_type) for item in value]
    if isinstance(value, Enum):
        return value.name
    if kind is Scalar.ID:
        return encode_id(id_type, value)
    if isinstance(value, date | Decimal):
        return value.isoformat() if isinstance(value, date) else str(value)
    return value
