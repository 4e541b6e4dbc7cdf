"""A segment's stored filter (the `contacts` or `customers` filter input, as JSON) read as a
service filter."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kernel.errors import ErrorCode, ServiceError, UserError
from kernel.filter_json import InvalidFilterError
from kernel.filtering import Filter
from resolvers.filter_inputs import read_filter

SEGMENT_ENTITY_TYPES = ("contact", "customer")


def read_segment_filter(entity_type: str, value: Mapping[str, Any]) -> Filter | None:
    """A segment's stored filter as a service filter; VALIDATION errors at ("filter", ...)."""
    if entity_type not in SEGMENT_ENTITY_TYPES:
        message = f"a segment selects contacts or customers, not {entity_type}"
        raise ServiceError.single(ErrorCode.VALIDATION, message, "entity_type")
    try:
        return read_filter(entity_type, dict(value))
    except InvalidFilterError as exc:
        raise ServiceError(
            [
                UserError(ErrorCode.VALIDATION, problem.message, ("filter", *problem.path))
                for problem in exc.problems
            ]
        ) from exc
