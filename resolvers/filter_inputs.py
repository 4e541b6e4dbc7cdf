"""Every type's filter as stored JSON: the fields, kinds and relations its GraphQL filter input
(`ContactFilter`, ...) takes, over the graph's FilterSpecs; read with `read_filter`.

A type's filter input offers a subset of its FilterSpec; this module names that subset for the
services and jobs that read stored filters without the schema. tests/kernel checks it field by
field against the GraphQL inputs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from kernel.filter_inputs import FieldKind, FilterInput, Scalar, filter_input
from kernel.filter_json import decode_filter
from kernel.filtering import Filter
from models import (
    ArticleStatus,
    AutomationRunStatus,
    CampaignChannel,
    CampaignStatus,
    ConsentPurpose,
    CreditStatus,
    ForecastCategory,
    InteractionKind,
    LifecycleStage,
    MemberStatus,
    PurchaseKind,
    PurchaseStatus,
    Role,
    SegmentKind,
    StageKind,
    TicketChannel,
    TicketPriority,
    TicketStatus,
)
from models.webhooks import DeliveryStatus
from resolvers.graph import SPECS

_TIMES = ("created_at", "updated_at", "deleted_at")


def _name(type_key: str) -> str:
    return "".join(part.title() for part in type_key.split("_")) + "Filter"


def _input(
    type_key: str,
    fields: Iterable[str],
    relations: Iterable[str] = (),
    kinds: Mapping[str, FieldKind] | None = None,
    combinators: bool = True,
) -> tuple[str, FilterInput]:
    spec = SPECS[type_key]
    return type_key, filter_input(_name(type_key), spec, fields, relations, kinds, combinators)


# Keyed by type; a type without a `<Type>Filter` input (events, connections, SLA targets and
# breaches) has none here.
FILTER_INPUTS: Mapping[str, FilterInput] = dict(
    [
        _input("team", ("id", "name", "created_at")),
        _input(
            "user",
            ("id", "email", "name", "role", "team_id", "manager_id", "active", "created_at"),
            ("team",),
            {"role": Role},
        ),
        _input(
            "customer",
            (
                "id",
                "name",
                "domain",
                "industry",
                "employees",
                "lifecycle_stage",
                "credit_status",
                "owner_id",
                "phone",
                "city",
                "country",
                "external_id",
                *_TIMES,
            ),
            ("owner", "contacts", "deals", "tickets", "interactions", "purchases"),
            {"lifecycle_stage": LifecycleStage, "credit_status": CreditStatus},
        ),
        _input(
            "contact",
            (
                "id",
                "customer_id",
                "first_name",
                "last_name",
                "email",
                "phone",
                "owner_id",
                "marketing_opt_in",
                "external_id",
                *_TIMES,
            ),
            ("customer", "owner", "deals", "tickets", "interactions", "campaign_memberships"),
            {"phone": Scalar.PHONE},
        ),
        _input(
            "interaction",
            (
                "id",
                "kind",
                "occurred_at",
                "customer_id",
                "contact_id",
                "user_id",
                "created_at",
                "deleted_at",
            ),
            ("customer", "contact"),
            {"kind": InteractionKind},
        ),
        _input(
            "purchase",
            (
                "id",
                "customer_id",
                "number",
                "kind",
                "status",
                "currency",
                "total_amount",
                "ordered_at",
                "deal_id",
                "external_id",
                "created_at",
                "deleted_at",
            ),
            ("customer", "deal"),
            {"kind": PurchaseKind, "status": PurchaseStatus},
        ),
        _input("purchase_line", ("sku",), combinators=False),
        _input("pipeline", ("id", "name"), combinators=False),
        _input(
            "stage",
            (
                "id",
                "pipeline_id",
                "name",
                "position",
                "probability",
                "kind",
                "forecast_category",
                "retired_at",
            ),
            ("pipeline",),
            {"kind": StageKind, "forecast_category": ForecastCategory},
            combinators=False,
        ),
        _input(
            "deal",
            (
                "id",
                "name",
                "customer_id",
                "contact_id",
                "pipeline_id",
                "stage_id",
                "owner_id",
                "campaign_id",
                "amount",
                "currency",
                "expected_close_date",
                "closed_at",
                "lost_reason_id",
                "external_id",
                *_TIMES,
            ),
            ("customer", "contact", "stage", "lost_reason", "owner", "campaign"),
        ),
        _input("deal_stage_change", ("to_stage_id", "changed_at"), combinators=False),
        _input("deal_line_item", ("product_id",), combinators=False),
        _input("lost_reason", ("id", "name", "active"), combinators=False),
        _input("product", ("id", "name", "sku", "active", *_TIMES)),
        _input("product_price", ("currency",), combinators=False),
        _input("exchange_rate", ("currency", "to_currency", "rate_date"), combinators=False),
        _input(
            "campaign",
            (
                "id",
                "name",
                "channel",
                "status",
                "owner_id",
                "parent_id",
                "starts_on",
                "ends_on",
                *_TIMES,
            ),
            ("parent", "members", "deals"),
            {"channel": CampaignChannel, "status": CampaignStatus},
        ),
        _input(
            "campaign_member",
            (
                "id",
                "campaign_id",
                "contact_id",
                "status",
                "segment_id",
                "responded_at",
                "created_at",
            ),
            ("campaign", "contact"),
            {"status": MemberStatus},
        ),
        _input("campaign_cost", ("id", "incurred_on", "created_at"), combinators=False),
        _input(
            "segment",
            ("id", "name", "kind", "owner_id", "created_at", "deleted_at"),
            kinds={"kind": SegmentKind},
            combinators=False,
        ),
        _input(
            "kb_article",
            ("id", "title", "category", "status", "author_id", "published_at", *_TIMES),
            kinds={"status": ArticleStatus},
        ),
        _input(
            "ticket",
            (
                "id",
                "subject",
                "status",
                "priority",
                "channel",
                "customer_id",
                "contact_id",
                "assignee_id",
                "team_id",
                "resolved_at",
                "closed_at",
                "first_response_at",
                "first_response_due",
                "resolution_due",
                "external_id",
                *_TIMES,
            ),
            ("customer", "contact", "assignee", "team", "comments"),
            {"status": TicketStatus, "priority": TicketPriority, "channel": TicketChannel},
        ),
        _input(
            "ticket_comment",
            ("id", "author_id", "is_public", "created_at"),
            combinators=False,
        ),
        _input("business_calendar", ("id", "name", "time_zone"), combinators=False),
        _input(
            "sla_policy",
            ("id", "name", "customer_tier", "calendar_id", "active", "created_at"),
            combinators=False,
        ),
        _input(
            "consent",
            ("purpose", "granted", "occurred_at"),
            kinds={"purpose": ConsentPurpose},
        ),
        _input("api_client", ("id", "name", "client_id", "revoked_at", "created_at")),
        _input(
            "audit_entry",
            ("actor", "action", "entity_type", "entity_id", "occurred_at", "request_id"),
        ),
        _input("webhook_endpoint", ("created_at",), combinators=False),
        _input(
            "webhook_delivery",
            ("status", "created_at"),
            kinds={"status": DeliveryStatus},
            combinators=False,
        ),
        _input("webhook_attempt", ("started_at",), combinators=False),
        _input("automation_rule", ("id", "name", "trigger", "active", "created_at")),
        _input(
            "automation_run",
            ("id", "rule_id", "status", "event_type", "created_at"),
            kinds={"status": AutomationRunStatus},
        ),
    ]
)


def read_filter(type_key: str, value: Any) -> Filter:
    """A stored JSON filter of ``type_key`` as a Filter; InvalidFilterError when it is none."""
    return decode_filter(FILTER_INPUTS, type_key, value)
