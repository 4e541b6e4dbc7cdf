"""The audit log, readable by holders of the audit:read scope; nothing writes it through the API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from strawberry.scalars import JSON

from schema.connections import order_input
from schema.filters import DateTimeFilter, IDFilter, StringFilter
from schema.ids import encode_id
from schema.node import Node

AuditEntryOrder = order_input("audit_entry", "AuditEntry")


@strawberry.input(description="Conditions on audit entries.")
class AuditEntryFilter:
    actor: StringFilter | None = strawberry.UNSET
    action: StringFilter | None = strawberry.UNSET
    entity_type: StringFilter | None = strawberry.UNSET
    entity_id: IDFilter | None = strawberry.UNSET
    occurred_at: DateTimeFilter | None = strawberry.UNSET
    request_id: StringFilter | None = strawberry.UNSET
    and_: list[AuditEntryFilter] | None = strawberry.field(name="and", default=strawberry.UNSET)
    or_: list[AuditEntryFilter] | None = strawberry.field(name="or", default=strawberry.UNSET)
    not_: AuditEntryFilter | None = strawberry.field(name="not", default=strawberry.UNSET)


def _type_name(entity_type: str) -> str:
    return "".join(part.title() for part in entity_type.split("_"))


@strawberry.type(description="One change: who did what to which record, when and from where.")
class AuditEntry(Node):
    occurred_at: datetime
    actor: str = strawberry.field(description="`user:<email>`, `client:<id>`, `operator:<name>`.")
    action: str = strawberry.field(description="E.g. `customer.updated`, `auth.failed`.")
    entity_type: str | None
    changes: JSON | None = strawberry.field(
        description="Each changed field's `old` and `new` value (secrets never appear)."
    )
    request_id: str | None
    client_ip: str | None
    entity_id: strawberry.Private[Any]

    @strawberry.field(description="Global id of the record changed, if any.")
    def entity(self) -> strawberry.ID | None:
        if self.entity_id is None or self.entity_type is None:
            return None
        return strawberry.ID(encode_id(_type_name(self.entity_type), self.entity_id))
