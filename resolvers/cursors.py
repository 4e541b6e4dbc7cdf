"""Opaque keyset cursors: the sort value and the id of the row a page ends on."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from resolvers.errors import InvalidArgumentError


def _dump(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal | uuid.UUID):
        return str(value)
    return value


def _load(value: Any, python_type: type[Any]) -> Any:
    if value is None:
        return None
    if python_type is datetime:
        return datetime.fromisoformat(value)
    if python_type is date:
        return date.fromisoformat(value)
    if python_type in (Decimal, uuid.UUID, int, str):
        return python_type(value)
    return value


def encode_cursor(field: str, value: Any, row_id: uuid.UUID) -> str:
    raw = json.dumps([field, _dump(value), str(row_id)], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(
    cursor: str, field: str, python_type: type[Any], argument: str
) -> tuple[Any, uuid.UUID]:
    """The (sort value, id) inside a cursor made for the same ordering field."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        cursor_field, value, row_id = json.loads(base64.urlsafe_b64decode(padded))
        if cursor_field != field:
            raise InvalidArgumentError(
                f"cursor was made for ordering by {cursor_field}, not {field}", argument
            )
        return _load(value, python_type), uuid.UUID(row_id)
    except InvalidArgumentError:
        raise
    except (ValueError, TypeError) as exc:
        raise InvalidArgumentError("cursor is not valid", argument) from exc
