"""Expected failures of services, each with a machine code and the input path it concerns."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum


class ErrorCode(StrEnum):
    VALIDATION = "VALIDATION"
    NOT_FOUND = "NOT_FOUND"
    CONFLICT = "CONFLICT"
    DUPLICATE = "DUPLICATE"
    INVALID_REFERENCE = "INVALID_REFERENCE"
    INVALID_STATE = "INVALID_STATE"
    FORBIDDEN = "FORBIDDEN"
    LIMIT_EXCEEDED = "LIMIT_EXCEEDED"
    # The field belongs to an external system (a connection) and is changed there, not here.
    FIELD_OWNED = "FIELD_OWNED"
    # Something failed on our side; the message names an error id that is in the logs.
    INTERNAL = "INTERNAL"


@dataclass(frozen=True)
class UserError:
    code: ErrorCode
    message: str
    field: tuple[str, ...] = field(default_factory=tuple)


class ServiceError(Exception):
    """Raised by a service when a request cannot be carried out; nothing has been written."""

    def __init__(self, errors: Sequence[UserError]) -> None:
        super().__init__("; ".join(error.message for error in errors))
        self.errors = list(errors)

    @classmethod
    def single(cls, code: ErrorCode, message: str, *path: str) -> ServiceError:
        return cls([UserError(code=code, message=message, field=tuple(path))])


class InvalidArgumentError(ValueError):
    """A query argument (cursor, page size, id) that cannot be used; maps to BAD_USER_INPUT."""

    def __init__(self, message: str, argument: str) -> None:
        super().__init__(message)
        self.argument = argument
