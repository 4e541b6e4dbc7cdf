"""From file columns to service input: which column is which field, and turning text into the
types the entity's input model expects (the model then validates, as for the API)."""

from __future__ import annotations

import functools
import json
import re
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from pydantic import BaseModel

from resolvers.bulk.entities import EntityImport

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_SEPARATORS = re.compile(r"[\s\-./]+")


def normalize_name(name: str) -> str:
    """`First Name`, `first-name`, `firstName` and `FIRST_NAME` are all `first_name`."""
    return _SEPARATORS.sub("_", _CAMEL.sub("_", name.strip())).strip("_").lower()


# A column of choices repeats a few values on every row.
_enum_name = functools.lru_cache(maxsize=1024)(normalize_name)


@dataclass(frozen=True)
class ColumnMapping:
    """Which file column feeds which field (or lookup); columns not named are ignored."""

    fields: dict[str, str]
    ignored: tuple[str, ...] = ()


def map_columns(
    spec: EntityImport,
    columns: list[str],
    explicit: Mapping[str, str | None] | None = None,
    every_mapped_column: bool = True,
) -> ColumnMapping:
    """Explicit choices first (a null field ignores the column), then names and aliases.

    ValueError when an explicit mapping names a field the type does not have, or when two
    columns feed one field.
    """
    known = set(field_kinds(spec.rules.create_input)) | set(spec.lookups)
    fields: dict[str, str] = {}
    ignored: list[str] = []
    explicit = dict(explicit or {})
    for column in columns:
        if column in explicit:
            target = explicit[column]
            if target is None or target == "":
                ignored.append(column)
                continue
            target = normalize_name(target)
            if target not in known:
                raise ValueError(f"{column!r} is mapped to {target!r}, not a {spec.entity} field")
        else:
            name = normalize_name(column)
            target = spec.aliases.get(name, name)
            if target not in known:
                ignored.append(column)
                continue
        if target in fields.values():
            raise ValueError(f"two columns map to {target!r}: map one of them explicitly")
        fields[column] = target
    missing = [column for column in explicit if column not in columns]
    if missing and every_mapped_column:
        raise ValueError(f"mapped columns not in the file: {', '.join(missing)}")
    return ColumnMapping(fields, tuple(ignored))


# How text is turned into each kind of field before the input model validates it.
def _kind(annotation: Any) -> Any:
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _kind(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        kinds = [_kind(a) for a in typing.get_args(annotation) if a is not type(None)]
        return kinds[0] if kinds else str
    if origin is list:
        (item,) = typing.get_args(annotation)
        item_kind = _kind(item)
        return (
            ("json",)
            if isinstance(item_kind, type) and issubclass(item_kind, BaseModel)
            else ("list",)
        )
    return annotation


@functools.cache
def field_kinds(model: type[BaseModel]) -> dict[str, Any]:
    return {name: _kind(info.annotation) for name, info in model.model_fields.items()}


def _split_list(text: str) -> list[str]:
    for separator in (";", "|", ","):
        if separator in text:
            return [part.strip() for part in text.split(separator) if part.strip()]
    return [text.strip()]


_GROUPED = re.compile(r"\d{1,3}([.,]\d{3})+")


def _number(text: str, whole: bool) -> str:
    """`1,000` and `1.000.000` in whole numbers, `1.234,5` and `1,234.5` in decimals."""
    text = text.strip().replace(" ", "").replace("\u00a0", "").replace("_", "")
    if _GROUPED.fullmatch(text):  # groups of three digits are thousands
        return text.replace(",", "").replace(".", "")
    if whole:
        return text
    if "," in text and "." in text:
        decimal = "," if text.rfind(",") > text.rfind(".") else "."
        grouping = "." if decimal == "," else ","
        return text.replace(grouping, "").replace(decimal, ".")
    return text.replace(",", ".")


def _aware(text: str) -> datetime | str:
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return text
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def _date(text: str) -> str:
    return text[:10] if len(text) > 10 and text[10] in "T " else text


def _unchanged(text: str) -> str:
    return text


def converter(kind: Any) -> Callable[[str], Any]:
    """How stripped, non-empty text becomes what the input model parses for a kind of field."""
    if kind == ("list",):
        return _split_list
    if kind == ("json",):
        return _json
    if kind is int or kind is Decimal:
        whole = kind is int
        return lambda text: _number(text, whole)
    if kind is datetime:
        return _aware
    if kind is date:
        return _date
    if isinstance(kind, type) and issubclass(kind, Enum):
        return _enum_name
    return _unchanged


Plan = list[tuple[str, str, Callable[[str], Any], bool]]
_PLANS: dict[tuple[str, tuple[tuple[str, str], ...]], Plan] = {}


def _plan(spec: EntityImport, mapping: ColumnMapping) -> Plan:
    key = (spec.entity, tuple(mapping.fields.items()))
    plan = _PLANS.get(key)
    if plan is None:
        kinds = field_kinds(spec.rules.create_input)
        plan = _PLANS[key] = [
            (
                column,
                target,
                _unchanged if target in spec.lookups else converter(kinds[target]),
                target in spec.lookups,
            )
            for column, target in mapping.fields.items()
        ]
    return plan


Converter = Callable[[Mapping[str, Any]], tuple[dict[str, Any], dict[str, Any]]]


def record_converter(spec: EntityImport, mapping: ColumnMapping) -> Converter:
    """`record_values` for one mapping, its plan split once into fields and lookups."""
    fields_plan = [
        (column, target, None if convert is _unchanged else convert)
        for column, target, convert, is_lookup in _plan(spec, mapping)
        if not is_lookup
    ]
    lookups_plan = [(c, target) for c, target, _, is_lookup in _plan(spec, mapping) if is_lookup]

    def convert(fields: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        data: dict[str, Any] = {}
        get = fields.get
        for column, target, convert in fields_plan:
            value = get(column)
            if type(value) is str:
                text = value.strip()
                if text:
                    data[target] = text if convert is None else convert(text)
            elif value is not None:
                data[target] = value
            elif column in fields:
                data[target] = None
        if not lookups_plan:
            return data, {}
        lookups: dict[str, Any] = {}
        for column, target in lookups_plan:
            value = get(column)
            if type(value) is str:
                text = value.strip()
                if text:
                    lookups[target] = text
            elif value is not None:
                lookups[target] = value
        return data, lookups

    return convert


def record_values(
    spec: EntityImport, mapping: ColumnMapping, fields: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The input fields and lookup keys of one record; empty cells are left out, a JSON null
    is kept (it clears the field of a matched record)."""
    return record_converter(spec, mapping)(fields)
