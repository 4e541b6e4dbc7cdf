"""The ceiling: the two workloads hand-written as batched Core SQL, one query per level.

Same engine configuration, same bearer-token check and same JSON shape as the GraphQL API,
without the GraphQL machinery: rows in, dicts out.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Select, bindparam, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.sql.elements import KeyedColumnElement
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from app.crypto import install_encryption
from app.db import create_engine
from app.http.auth import AuthenticationError, authenticate
from app.settings import Settings, get_settings
from app.wiring import install as install_wiring
from kernel.cursors import encode_cursor
from kernel.tables import table_of
from models import Contact, Customer, Deal, Stage, Ticket
from schema.ids import encode_id

customers = table_of(Customer)
contacts = table_of(Contact)
deals = table_of(Deal)
stages = table_of(Stage)
tickets = table_of(Ticket)

Row = Any


def _children(
    columns: Sequence[KeyedColumnElement[Any]],
    parent: KeyedColumnElement[Any],
    order: KeyedColumnElement[Any],
    size: int,
) -> Select[Any]:
    """The first ``size`` visible children of every parent in ``:parent_ids``, windowed."""
    table = parent.table
    position = func.row_number().over(partition_by=parent, order_by=(order, table.c.id))
    inner = (
        select(*columns, parent.label("parent_key"), position.label("position"))
        .where(parent.in_(bindparam("parent_ids", expanding=True)), table.c.deleted_at.is_(None))
        .subquery()
    )
    return select(inner).where(inner.c.position <= size).order_by(inner.c.parent_key, "position")


# Built once: what a hand-written endpoint would keep as module constants.
VISIBLE_CUSTOMERS = customers.c.deleted_at.is_(None)
PAGE_CUSTOMERS = (
    select(
        customers.c.id,
        customers.c.name,
        customers.c.domain,
        customers.c.industry,
        customers.c.lifecycle_stage,
    )
    .where(VISIBLE_CUSTOMERS)
    .order_by(customers.c.name, customers.c.id)
    .limit(bindparam("limit"))
)
COUNT_CUSTOMERS = select(func.count()).select_from(customers).where(VISIBLE_CUSTOMERS)
PAGE_CONTACTS = _children(
    [
        contacts.c.id,
        contacts.c.first_name,
        contacts.c.last_name,
        contacts.c.email,
        contacts.c.phone,
    ],
    contacts.c.customer_id,
    contacts.c.last_name,
    5,
)
PAGE_DEALS = _children(
    [deals.c.id, deals.c.name, deals.c.amount, deals.c.currency, deals.c.stage_id],
    deals.c.customer_id,
    deals.c.created_at,
    3,
)
PAGE_TICKETS = _children(
    [tickets.c.id, tickets.c.subject, tickets.c.status, tickets.c.priority],
    tickets.c.customer_id,
    tickets.c.created_at,
    2,
)
STAGES_BY_ID = select(stages.c.id, stages.c.name, stages.c.probability, stages.c.kind).where(
    stages.c.id.in_(bindparam("ids", expanding=True))
)


async def _grouped(
    connection: AsyncConnection, statement: Select[Any], parent_ids: list[uuid.UUID]
) -> dict[Any, list[Row]]:
    grouped: dict[Any, list[Row]] = defaultdict(list)
    for row in (await connection.execute(statement, {"parent_ids": parent_ids})).all():
        grouped[row.parent_key].append(row)
    return grouped


def _contact(row: Row) -> dict[str, Any]:
    return {
        "id": encode_id("Contact", row.id),
        "firstName": row.first_name,
        "lastName": row.last_name,
        "email": row.email,
        "phone": row.phone,
    }


def _deal(row: Row, stage: dict[str, Any] | None) -> dict[str, Any]:
    return {
        "id": encode_id("Deal", row.id),
        "name": row.name,
        "amount": str(row.amount),
        "currency": row.currency,
        "stage": stage,
    }


def _ticket(row: Row) -> dict[str, Any]:
    return {
        "id": encode_id("Ticket", row.id),
        "subject": row.subject,
        "status": row.status.upper(),
        "priority": row.priority.upper(),
    }


async def customer_page(connection: AsyncConnection, first: int) -> dict[str, Any]:
    """Workload (a): a page of customers with contacts, deals (+ stage) and tickets."""
    rows = (await connection.execute(PAGE_CUSTOMERS, {"limit": first + 1})).all()
    total = await connection.scalar(COUNT_CUSTOMERS)
    page = rows[:first]
    ids = [row.id for row in page]
    by_contact = await _grouped(connection, PAGE_CONTACTS, ids)
    by_deal = await _grouped(connection, PAGE_DEALS, ids)
    stage_ids = list({row.stage_id for group in by_deal.values() for row in group})
    stage_rows = (await connection.execute(STAGES_BY_ID, {"ids": stage_ids})).all()
    stage_by_id = {
        row.id: {
            "id": encode_id("Stage", row.id),
            "name": row.name,
            "probability": row.probability,
            "kind": row.kind.upper(),
        }
        for row in stage_rows
    }
    by_ticket = await _grouped(connection, PAGE_TICKETS, ids)
    nodes = [
        {
            "id": encode_id("Customer", row.id),
            "name": row.name,
            "domain": row.domain,
            "industry": row.industry,
            "lifecycleStage": row.lifecycle_stage.upper(),
            "contacts": {"nodes": [_contact(child) for child in by_contact.get(row.id, [])]},
            "deals": {
                "nodes": [
                    _deal(child, stage_by_id.get(child.stage_id))
                    for child in by_deal.get(row.id, [])
                ]
            },
            "tickets": {"nodes": [_ticket(child) for child in by_ticket.get(row.id, [])]},
        }
        for row in page
    ]
    end = encode_cursor("name", page[-1].name, page[-1].id) if page else None
    return {
        "totalCount": total,
        "pageInfo": {"hasNextPage": len(rows) > first, "endCursor": end},
        "nodes": nodes,
    }


def _search_conditions(text: str, min_amount: Decimal) -> list[ColumnElement[bool]]:
    c = customers.c
    open_big_deal = exists(
        select(1)
        .select_from(deals.join(stages, stages.c.id == deals.c.stage_id))
        .where(
            deals.c.customer_id == c.id,
            deals.c.deleted_at.is_(None),
            deals.c.amount > min_amount,
            stages.c.kind == "open",
        )
    )
    words = [
        or_(*(column.icontains(word, autoescape=True) for column in (c.name, c.domain, c.phone)))
        for word in text.split()
    ]
    return [
        c.deleted_at.is_(None),
        c.lifecycle_stage.in_(["customer", "prospect"]),
        *words,
        open_big_deal,
    ]


async def customer_search(
    connection: AsyncConnection, first: int, text: str, min_amount: Decimal
) -> dict[str, Any]:
    """Workload (b): filtered, searched customers, newest first, with the total count."""
    c = customers.c
    conditions = _search_conditions(text, min_amount)
    statement = (
        select(c.id, c.name, c.domain, c.lifecycle_stage)
        .where(*conditions)
        .order_by(c.created_at.desc(), c.id.desc())
        .limit(first)
    )
    rows = (await connection.execute(statement)).all()
    total = await connection.scalar(select(func.count()).select_from(customers).where(*conditions))
    nodes = [
        {
            "id": encode_id("Customer", row.id),
            "name": row.name,
            "domain": row.domain,
            "lifecycleStage": row.lifecycle_stage.upper(),
        }
        for row in rows
    ]
    return {"totalCount": total, "nodes": nodes}


def create_raw_app(settings: Settings | None = None) -> Starlette:
    """The raw endpoint: POST /raw/page and /raw/search take GraphQL-style `variables`."""
    settings = settings or get_settings()
    # contacts.phone is encrypted: Core reads of the column decrypt with the same keyring.
    install_encryption(settings)
    install_wiring()
    engine: AsyncEngine = create_engine(
        settings.database_url, echo=settings.db_echo, pool_size=settings.db_pool_size
    )

    async def variables(request: Request) -> dict[str, Any] | JSONResponse:
        try:
            authenticate(settings, request.headers.get("authorization"))
        except AuthenticationError as exc:
            return JSONResponse({"errors": [{"message": str(exc)}]}, status_code=401)
        body = await request.json()
        return dict(body.get("variables") or {})

    async def page(request: Request) -> JSONResponse:
        given = await variables(request)
        if isinstance(given, JSONResponse):
            return given
        async with engine.connect() as connection:
            data = await customer_page(connection, int(given.get("first", 50)))
        return JSONResponse({"data": {"customers": data}})

    async def search(request: Request) -> JSONResponse:
        given = await variables(request)
        if isinstance(given, JSONResponse):
            return given
        async with engine.connect() as connection:
            data = await customer_search(
                connection,
                int(given.get("first", 20)),
                str(given.get("search", "")),
                Decimal(str(given.get("minAmount", "0"))),
            )
        return JSONResponse({"data": {"customers": data}})

    async def healthz(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    app = Starlette(
        routes=[
            Route("/raw/page", page, methods=["POST"]),
            Route("/raw/search", search, methods=["POST"]),
            Route("/healthz", healthz),
        ]
    )
    app.state.engine = engine
    return app
