"""An export's filter: the filter input of the exported type (`CustomerFilter`, ...) as JSON,
given to `startExport` or `crm export --filter`, read as a service filter."""

from __future__ import annotations

from typing import Any

from kernel.filter_json import InvalidFilterError
from kernel.filtering import Filter
from resolvers.bulk.exports import EXPORT_TYPES
from resolvers.filter_inputs import read_filter


def filter_from_json(entity_type: str, value: Any) -> Filter | None:
    """The filter of an export of ``entity_type`` (customers, contacts, ...), None for none;
    ValueError ("invalid filter: ...", with the JSON path of each problem) when it does not fit."""
    if not value:
        return None
    try:
        return read_filter(EXPORT_TYPES[entity_type], value)
    except InvalidFilterError as exc:
        raise ValueError(f"invalid filter: {exc}") from exc
