"""Relay global ids: the type name and the row's UUID, base64-encoded."""

from __future__ import annotations

import base64
import binascii
import uuid

from kernel.errors import InvalidArgumentError


def encode_id(type_name: str, row_id: uuid.UUID) -> str:
    return base64.b64encode(f"{type_name}:{row_id}".encode()).decode()


def decode_id(global_id: str, argument: str = "id") -> tuple[str, uuid.UUID]:
    """The (type name, UUID) inside a global id; BAD_USER_INPUT when it is not one."""
    try:
        type_name, _, raw = base64.b64decode(global_id, validate=True).decode().partition(":")
        return type_name, uuid.UUID(raw)
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise InvalidArgumentError(f"{global_id!r} is not a valid id", argument) from exc


def decode_id_of(global_id: str, type_name: str, argument: str = "id") -> uuid.UUID:
    """The UUID inside a global id that must name ``type_name``."""
    found, row_id = decode_id(global_id, argument)
    if found != type_name:
        raise InvalidArgumentError(
            f"expected an id of a {type_name}, got one of a {found}", argument
        )
    return row_id
