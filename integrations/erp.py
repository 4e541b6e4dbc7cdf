"""The generic ERP connector: customers with billing address and credit status, orders and
invoices with their lines, and the link from a confirmed order to the won deal it fulfils.

Inbound format (docs/connectors.md): records of type `customer`, `order`, `invoice` and
`credit_status`; ids are the ERP's own.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from integrations.connector import Connector
from integrations.context import ApplyContext
from integrations.records import Applied, InboundRecord
from integrations.validation import parse
from kernel.errors import ErrorCode, ServiceError
from models import CreditStatus, PurchaseKind, PurchaseStatus
from resolvers.customers.purchases import PURCHASE_RULES
from resolvers.customers.service import CUSTOMER_RULES


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Address(_Data):
    street: str | None = None
    city: str | None = None
    postal_code: str | None = None
    country: str | None = None


class CustomerData(_Data):
    name: str
    domain: str | None = None
    industry: str | None = None
    phone: str | None = None
    billing_address: Address | None = None
    credit_status: CreditStatus | None = None


class Line(_Data):
    description: str
    sku: str | None = None
    quantity: Decimal
    unit_price: Decimal


class PurchaseData(_Data):
    customer_id: Annotated[str, Field(min_length=1, description="The ERP's customer id.")]
    number: str
    status: PurchaseStatus = PurchaseStatus.DRAFT
    currency: str
    ordered_at: AwareDatetime
    lines: list[Line] = []
    # The CRM deal the order fulfils (from the `deal.won` webhook); linked once confirmed.
    deal_id: uuid.UUID | None = None


class CreditStatusData(_Data):
    customer_id: str
    credit_status: CreditStatus


ADDRESS_PATHS = {name: ("billing_address", name) for name in Address.model_fields}


async def apply_customer(ctx: ApplyContext, record: InboundRecord) -> Applied:
    data = parse(CustomerData, record)
    values: dict[str, Any] = data.model_dump(exclude={"billing_address"}, exclude_unset=True)
    if data.billing_address is not None:
        values.update(data.billing_address.model_dump(exclude_unset=True))
    return await ctx.upsert(CUSTOMER_RULES, record, values, paths=ADDRESS_PATHS)


async def _apply_purchase(ctx: ApplyContext, record: InboundRecord, kind: PurchaseKind) -> Applied:
    data = parse(PurchaseData, record)
    customer_id = await ctx.require("customer", data.customer_id, "customer_id")
    values: dict[str, Any] = {
        "kind": kind,
        "customer_id": customer_id,
        "number": data.number,
        "status": data.status,
        "currency": data.currency,
        "ordered_at": data.ordered_at,
        "lines": [line.model_dump(exclude_unset=True) for line in data.lines],
    }
    if data.deal_id is not None and data.status in (PurchaseStatus.CONFIRMED, PurchaseStatus.PAID):
        values["deal_id"] = data.deal_id
    # Orders and invoices are numbered apart in most ERPs: the source id is kept per kind.
    return await ctx.upsert(PURCHASE_RULES, record, values, external_id=f"{kind}:{record.id}")


async def apply_order(ctx: ApplyContext, record: InboundRecord) -> Applied:
    return await _apply_purchase(ctx, record, PurchaseKind.ORDER)


async def apply_invoice(ctx: ApplyContext, record: InboundRecord) -> Applied:
    return await _apply_purchase(ctx, record, PurchaseKind.INVOICE)


async def apply_credit_status(ctx: ApplyContext, record: InboundRecord) -> Applied:
    if record.deleted:
        raise ServiceError.single(
            ErrorCode.VALIDATION, "a credit status is changed, not deleted", "deleted"
        )
    data = parse(CreditStatusData, record)
    customer_id = await ctx.require("customer", data.customer_id, "customer_id")
    # Its own source key: credit updates and customer updates are stale only among themselves.
    return await ctx.upsert(
        CUSTOMER_RULES,
        record,
        {"credit_status": data.credit_status},
        external_id=f"credit_status:{data.customer_id}",
        match=customer_id,
    )


ERP = Connector(
    name="erp",
    description="A generic ERP: customers, orders, invoices and credit status.",
    handlers={
        "customer": apply_customer,
        "order": apply_order,
        "invoice": apply_invoice,
        "credit_status": apply_credit_status,
    },
    default_ownership={
        "customer": {
            "street": "source",
            "city": "source",
            "postal_code": "source",
            "country": "source",
            "credit_status": "source",
            "name": "crm",
            "domain": "crm",
            "industry": "crm",
            "phone": "crm",
        },
        "purchase": {"*": "source"},
    },
)
