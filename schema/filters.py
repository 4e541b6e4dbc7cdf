"""Filter inputs: one operator set per scalar, combined per type with and/or/not."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

import strawberry
from strawberry.types.base import has_object_definition

from kernel.errors import InvalidArgumentError
from schema.ids import decode_id

EQUALITY = "Equal to (`null` matches a missing value)."


@strawberry.input(description="Conditions on a text field; all given conditions must hold.")
class StringFilter:
    eq: str | None = strawberry.UNSET
    ne: str | None = strawberry.UNSET
    in_: list[str] | None = strawberry.field(name="in", default=strawberry.UNSET)
    not_in: list[str] | None = strawberry.UNSET
    lt: str | None = strawberry.UNSET
    lte: str | None = strawberry.UNSET
    gt: str | None = strawberry.UNSET
    gte: str | None = strawberry.UNSET
    contains: str | None = strawberry.field(
        default=strawberry.UNSET, description="Contains the text, ignoring case."
    )
    starts_with: str | None = strawberry.field(
        default=strawberry.UNSET, description="Starts with the text, ignoring case."
    )
    is_null: bool | None = strawberry.UNSET


def _ordered_filter(name: str, scalar: Any, description: str) -> Any:
    """A filter input with the comparison operators for an ordered scalar."""
    annotations = {
        "eq": scalar | None,
        "ne": scalar | None,
        "in_": list[scalar] | None,
        "not_in": list[scalar] | None,
        "lt": scalar | None,
        "lte": scalar | None,
        "gt": scalar | None,
        "gte": scalar | None,
        "is_null": bool | None,
    }
    namespace: dict[str, Any] = {"__annotations__": annotations}
    namespace.update(dict.fromkeys(annotations, strawberry.UNSET))
    namespace["in_"] = strawberry.field(name="in", default=strawberry.UNSET)
    return strawberry.input(type(name, (), namespace), description=description)


IntFilter = _ordered_filter("IntFilter", int, "Conditions on a whole number.")
DecimalFilter = _ordered_filter("DecimalFilter", Decimal, "Conditions on a decimal amount.")
DateTimeFilter = _ordered_filter("DateTimeFilter", datetime, "Conditions on a point in time.")
DateFilter = _ordered_filter("DateFilter", date, "Conditions on a calendar date.")


@strawberry.input(description="Conditions on a yes/no field.")
class BooleanFilter:
    eq: bool | None = strawberry.UNSET
    is_null: bool | None = strawberry.UNSET


@strawberry.input(description="Conditions on an id (global ids, as returned by the API).")
class IDFilter:
    eq: strawberry.ID | None = strawberry.UNSET
    ne: strawberry.ID | None = strawberry.UNSET
    in_: list[strawberry.ID] | None = strawberry.field(name="in", default=strawberry.UNSET)
    not_in: list[strawberry.ID] | None = strawberry.UNSET
    is_null: bool | None = strawberry.UNSET


def enum_filter(enum: type[Enum], name: str) -> Any:
    """Equality conditions on an enum field."""
    annotations = {
        "eq": enum | None,
        "ne": enum | None,
        "in_": list[enum] | None,
        "not_in": list[enum] | None,
        "is_null": bool | None,
    }
    namespace: dict[str, Any] = {"__annotations__": annotations}
    namespace.update(dict.fromkeys(annotations, strawberry.UNSET))
    namespace["in_"] = strawberry.field(name="in", default=strawberry.UNSET)
    return strawberry.input(
        type(name, (), namespace), description=f"Conditions on a {enum.__name__}."
    )


def some_or_none(name: str, target: Any, what: str) -> Any:
    """`{some, none}`: matches when some related record, or none, meets the filter."""
    namespace: dict[str, Any] = {
        "__annotations__": {"some": target | None, "none": target | None},
        "some": strawberry.UNSET,
        "none": strawberry.UNSET,
    }
    description = f"Matches when some {what}, or none, meets the filter."
    return strawberry.input(type(name, (), namespace), description=description)


def _decode_ids(value: Any) -> Any:
    if isinstance(value, list):
        return [decode_id(item, "filter")[1] for item in value]
    if isinstance(value, str):
        return decode_id(value, "filter")[1]
    return value


def to_filter(value: Any) -> Any:
    """A filter input as plain data for the services: UNSET dropped, ids decoded."""
    if value is None or value is strawberry.UNSET:
        return None
    if isinstance(value, list):
        return [to_filter(item) for item in value]
    if has_object_definition(value):
        result: dict[str, Any] = {}
        for field in dataclasses.fields(value):  # type: ignore[arg-type]
            item = getattr(value, field.name)
            if item is strawberry.UNSET:
                continue
            if isinstance(value, IDFilter) and field.name != "is_null":
                result[field.name] = _decode_ids(item)
            else:
                result[field.name] = to_filter(item)
        return result
    if isinstance(value, datetime) and value.tzinfo is None:
        # Stored times are UTC instants; a time without a zone names none of them.
        raise InvalidArgumentError(f"{value.isoformat()} has no time zone", "filter")
    return value
