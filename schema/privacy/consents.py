"""Consents: each contact's history of grants and withdrawals per purpose."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry

from kernel.errors import InvalidArgumentError
from kernel.pagination import PageRequest
from models import ConsentPurpose as ConsentPurposeModel
from resolvers import graph
from schema.connections import (
    Connection,
    build_connection,
    checked_filter,
    checked_request,
    order_input,
    resolve_ordering,
)
from schema.context import Info
from schema.errors import bad_input
from schema.filters import BooleanFilter, DateTimeFilter, enum_filter
from schema.node import Node
from schema.permissions import can_read

ConsentPurpose = strawberry.enum(
    ConsentPurposeModel, name="ConsentPurpose", description="What a consent is for."
)
ConsentPurposeFilter = enum_filter(ConsentPurposeModel, "ConsentPurposeFilter")
ConsentOrder = order_input("consent", "Consent")


@strawberry.input(description="Conditions on consents.")
class ConsentFilter:
    purpose: ConsentPurposeFilter | None = strawberry.UNSET
    granted: BooleanFilter | None = strawberry.UNSET
    occurred_at: DateTimeFilter | None = strawberry.UNSET
    and_: list[ConsentFilter] | None = strawberry.field(name="and", default=strawberry.UNSET)
    or_: list[ConsentFilter] | None = strawberry.field(name="or", default=strawberry.UNSET)
    not_: ConsentFilter | None = strawberry.field(name="not", default=strawberry.UNSET)


@strawberry.type(description="A consent given or withdrawn; entries are never changed.")
class Consent(Node):
    purpose: ConsentPurpose
    granted: bool = strawberry.field(description="Given (true) or withdrawn (false).")
    occurred_at: datetime
    source: str | None = strawberry.field(description='How, e.g. "web form", "phone call".')
    recorded_by: str = strawberry.field(description="Who recorded it: `user:<email>`, ...")
    contact_id: strawberry.Private[Any]


def consents_field() -> Any:
    """`Contact.consents`: the history, newest first unless `orderBy` says otherwise."""

    async def resolve(
        root: Any,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        filter: ConsentFilter | None = None,
        order_by: ConsentOrder | None = None,
    ) -> Connection[Consent]:
        request = checked_request(first, after, last, before)
        filter_ = checked_filter(filter)
        relation = graph.CONSENTS_BY_CONTACT
        try:
            if order_by is None:
                order = graph.ordering("consent", "occurred_at", descending=True)
            else:
                order = resolve_ordering("consent", order_by, "occurred_at")
            page = await info.context.loaders.page(relation, order, request, filter_).load(root.pk)
        except InvalidArgumentError as exc:
            raise bad_input(exc) from exc
        count_loader = info.context.loaders.count(relation, filter_)
        return build_connection(page, Consent, lambda: count_loader.load(root.pk))  # type: ignore[no-any-return]

    return strawberry.field(
        resolver=resolve,
        description="Every consent given or withdrawn, newest first.",
        permission_classes=can_read("consent"),
    )


async def load_current_consents(info: Info, contact_pk: Any) -> list[Consent]:
    """The latest consent per purpose, for every contact of the level in one query."""
    relation = graph.CURRENT_CONSENTS_BY_CONTACT
    order = graph.ordering("consent", "purpose")
    request = PageRequest(first=len(ConsentPurposeModel))
    page = await info.context.loaders.page(relation, order, request).load(contact_pk)
    return [Consent.from_row(row) for row in page.rows]
