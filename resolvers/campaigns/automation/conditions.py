"""A rule's conditions: the filter input of its trigger's record type (e.g. `ContactFilter`),
stored as JSON, read as a service filter."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kernel.errors import ErrorCode, ServiceError, UserError
from kernel.filter_json import FilterProblem, InvalidFilterError
from kernel.filtering import Filter, Path
from resolvers.filter_inputs import FILTER_INPUTS, read_filter


def _field(problem: FilterProblem) -> Path:
    # An unknown name is reported at the object that has it, as rules always have been.
    path = problem.path[:-1] if problem.unknown else problem.path
    return ("conditions", *path)


def conditions_filter(entity: str, conditions: Mapping[str, Any]) -> Filter:
    """A rule's conditions as a filter for the services; VALIDATION errors at `conditions`."""
    if not conditions:
        return {}
    if entity not in FILTER_INPUTS:
        message = f"{entity} events take no conditions"
        raise ServiceError.single(ErrorCode.VALIDATION, message, "conditions")
    try:
        return read_filter(entity, dict(conditions))
    except InvalidFilterError as exc:
        raise ServiceError(
            [UserError(ErrorCode.VALIDATION, p.message, _field(p)) for p in exc.problems]
        ) from exc
