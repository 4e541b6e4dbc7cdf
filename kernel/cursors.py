"""Opaque keyset cursors: the sort value and the id of the row a page ends on."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from kernel.errors import InvalidArgumentError


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
        moment = datetime.fromisoformat(value)
        # Cursors carry UTC times; a naive one cannot be compared with stored times.
        if moment.tzinfo is None:
            raise ValueError("cursor time has no time zone")
        return moment
    if python_type is date:
        return date.fromisoformat(value)
    if python_type is Decimal:
        amount = Decimal(value) if isinstance(value, str | int) else None
        if amount is None or not amount.is_finite():
            raise ValueError("cursor amount is not a number")
        return amount
    if python_type in (int, str) and isinstance(value, dict | list):
        raise ValueError("cursor value is not a scalar")
    if python_type in (uuid.UUID, int, str):
        return python_type(value)
    return value


def _load_id(value: Any) -> uuid.UUID:
    if not isinstance(value, str):
        raise ValueError("cursor id is not a string")
    return uuid.UUID(value)


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
        return _load(value, python_type), _load_id(row_id)
    except InvalidArgumentError:
        raise
    # ArithmeticError: decimal.InvalidOperation, for text that is not a number.
    except (ValueError, TypeError, ArithmeticError) as exc:
        raise InvalidArgumentError("cursor is not valid", argument) from exc
