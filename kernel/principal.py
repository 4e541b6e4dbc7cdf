"""Who is acting: a user, an API client or an operator, with a role and scopes."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from enum import StrEnum


class PrincipalKind(StrEnum):
    USER = "user"
    CLIENT = "client"
    OPERATOR = "operator"
    SYSTEM = "system"
    CONNECTION = "connection"


@dataclass(frozen=True)
class Principal:
    subject: str
    kind: PrincipalKind
    role: str | None = None
    scopes: frozenset[str] = field(default_factory=frozenset)
    user_id: uuid.UUID | None = None
    # For changes applied from an external system: the connection they came through.
    connection_id: uuid.UUID | None = None

    @property
    def actor(self) -> str:
        """How audit entries and events name this principal."""
        return f"{self.kind.value}:{self.subject}"


SYSTEM = Principal(subject="system", kind=PrincipalKind.SYSTEM, role="admin")
