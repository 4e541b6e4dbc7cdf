"""The inbound format every connector shares: a batch of typed records, each answered."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from kernel.errors import UserError

MAX_BATCH = 1000


class InboundRecord(BaseModel):
    """One record a system sends: its type, its id there, when it changed there, and data."""

    model_config = ConfigDict(extra="forbid")

    type: Annotated[str, Field(min_length=1, max_length=50)]
    # At most 190 characters: connectors may prefix it (e.g. `invoice:`) in the 200 they keep.
    id: Annotated[str, Field(min_length=1, max_length=190)]
    # The source's own change time: older than what was applied last means stale.
    updated_at: AwareDatetime | None = None
    deleted: bool = False
    data: dict[str, Any] = {}


class Outcome(StrEnum):
    APPLIED = "applied"
    UNCHANGED = "unchanged"
    STALE = "stale"
    REJECTED = "rejected"


@dataclass(frozen=True)
class Applied:
    """What a handler did with a record: the CRM record it landed in, and whether it changed."""

    entity_type: str
    entity_id: uuid.UUID
    changed: bool
    # Fields the source sent but the CRM owns: kept as they were.
    ignored: tuple[str, ...] = ()


class StaleRecordError(Exception):
    """The record is older than the version already applied from the same source."""

    def __init__(self, entity_type: str, entity_id: uuid.UUID, stored: datetime) -> None:
        super().__init__(f"older than the applied version of {stored.isoformat()}")
        self.entity_type = entity_type
        self.entity_id = entity_id


@dataclass(frozen=True)
class RecordResult:
    index: int
    type: str | None
    id: str | None
    outcome: Outcome
    entity_type: str | None = None
    entity_id: uuid.UUID | None = None
    reason: str | None = None
    errors: tuple[UserError, ...] = ()
    ignored: tuple[str, ...] = field(default_factory=tuple)

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "index": self.index,
            "type": self.type,
            "id": self.id,
            "outcome": self.outcome.value,
        }
        if self.entity_id is not None:
            body["entity_type"] = self.entity_type
            body["entity_id"] = str(self.entity_id)
        if self.reason:
            body["reason"] = self.reason
        if self.errors:
            body["errors"] = [
                {"code": error.code.value, "message": error.message, "field": list(error.field)}
                for error in self.errors
            ]
        if self.ignored:
            body["ignored_fields"] = list(self.ignored)
        return body
