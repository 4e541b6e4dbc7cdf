"""Knowledge base articles: lists, full-text search, suggestions for a ticket, linked tickets.

Reading needs knowledge:read and shows published articles; knowledge:write also shows drafts
and the trash.
"""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Annotated, Any

import strawberry
from graphql import GraphQLError

from kernel.errors import InvalidArgumentError
from kernel.pagination import Page
from kernel.permissions import Scope
from models import ArticleStatus
from resolvers.graph import SPECS
from resolvers.tickets.knowledge.relations import KB_ARTICLES_BY_TICKET, TICKETS_BY_KB_ARTICLE
from resolvers.tickets.knowledge.search import SearchHit, search_articles, suggest_articles
from schema.connections import (
    Connection,
    build_connection,
    checked_filter,
    checked_request,
    connection_field,
    lazy,
    order_input,
    resolve_ordering,
    to_one,
)
from schema.context import Info
from schema.errors import RequestErrorCode, bad_input
from schema.filters import DateTimeFilter, IDFilter, StringFilter, enum_filter
from schema.identity.users import User
from schema.ids import decode_id_of
from schema.node import Node
from schema.permissions import can_read, requires
from schema.tickets.types import TicketFilter, TicketOrder

KbArticleStatus = strawberry.enum(
    ArticleStatus, name="KbArticleStatus", description="Drafts are seen by writers only."
)
KbArticleStatusFilter = enum_filter(ArticleStatus, "KbArticleStatusFilter")
KbArticleOrder = order_input("kb_article", "KbArticle")
MAX_SEARCH_PAGE = 50
SEARCH_SYNTAX = (
    'Web-search syntax: every word is required, `"a phrase"`, `this or that`, `-excluded`; '
    "English stop words are ignored."
)


@strawberry.input(description="Conditions on knowledge base articles.")
class KbArticleFilter:
    id: IDFilter | None = strawberry.UNSET
    title: StringFilter | None = strawberry.UNSET
    category: StringFilter | None = strawberry.UNSET
    status: KbArticleStatusFilter | None = strawberry.UNSET
    author_id: IDFilter | None = strawberry.UNSET
    published_at: DateTimeFilter | None = strawberry.UNSET
    created_at: DateTimeFilter | None = strawberry.UNSET
    updated_at: DateTimeFilter | None = strawberry.UNSET
    deleted_at: DateTimeFilter | None = strawberry.UNSET
    and_: list[KbArticleFilter] | None = strawberry.field(name="and", default=strawberry.UNSET)
    or_: list[KbArticleFilter] | None = strawberry.field(name="or", default=strawberry.UNSET)
    not_: KbArticleFilter | None = strawberry.field(name="not", default=strawberry.UNSET)


@strawberry.type(description="A knowledge base article.")
class KbArticle(Node):
    title: str
    body: str
    category: str | None
    tags: list[str]
    status: KbArticleStatus
    published_at: datetime | None = strawberry.field(description="When it was last published.")
    helpful_count: int = strawberry.field(description="Readers who found it helpful.")
    not_helpful_count: int = strawberry.field(description="Readers who did not.")
    version: int
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None
    author_id: strawberry.Private[Any]

    author = to_one(User, "author_id", "user", "Who wrote it.")

    tickets = connection_field(
        TICKETS_BY_KB_ARTICLE,
        lazy("Ticket", "schema.tickets.types"),
        TicketFilter,
        TicketOrder,
        "created_at",
        "The tickets this article helped solve (tickets:read).",
    )


@strawberry.type(description="An article found by a search, with how well it matched.")
class KbArticleSearchEdge:
    node: KbArticle
    rank: float = strawberry.field(
        description="Relevance; higher is better. Comparable within one result list only."
    )
    snippet: str | None = strawberry.field(
        description="An excerpt of the body with matched words between `**` (not escaped)."
    )
    cursor: str = strawberry.field(description="Pass as `after` to continue after this hit.")


@strawberry.type(description="One page of search results, most relevant first.")
class KbArticleSearchResults:
    edges: list[KbArticleSearchEdge]
    has_next_page: bool
    end_cursor: str | None


def _offset_cursor(offset: int) -> str:
    return base64.b64encode(f"kb-search:{offset}".encode()).decode()


def _offset(cursor: str | None) -> int:
    if cursor is None:
        return 0
    try:
        prefix, _, raw = base64.b64decode(cursor, validate=True).decode().partition(":")
        offset = int(raw)
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise bad_input(InvalidArgumentError("not a search cursor", "after")) from exc
    if prefix != "kb-search" or offset < 0:
        raise bad_input(InvalidArgumentError("not a search cursor", "after"))
    return offset


def _page_size(first: int) -> int:
    if not 1 <= first <= MAX_SEARCH_PAGE:
        message = f"first must be between 1 and {MAX_SEARCH_PAGE}"
        raise bad_input(InvalidArgumentError(message, "first"))
    return first


def _results(hits: list[SearchHit], size: int, offset: int) -> KbArticleSearchResults:
    edges = [
        KbArticleSearchEdge(
            node=KbArticle.from_row(hit.row),
            rank=hit.rank,
            snippet=hit.snippet,
            cursor=_offset_cursor(offset + n + 1),
        )
        for n, hit in enumerate(hits[:size])
    ]
    return KbArticleSearchResults(
        edges=edges,
        has_next_page=len(hits) > size,
        end_cursor=edges[-1].cursor if edges else None,
    )


async def resolve_search(
    info: Info,
    query: Annotated[str, strawberry.argument(description=SEARCH_SYNTAX)],
    first: int = 10,
    after: str | None = None,
    category: Annotated[
        str | None, strawberry.argument(description="Only articles of this category.")
    ] = None,
) -> KbArticleSearchResults:
    size, offset = _page_size(first), _offset(after)
    async with info.context.session_factory() as session:
        hits = await search_articles(
            session, info.context.principal, query, size + 1, offset, category
        )
    return _results(hits, size, offset)


async def resolve_suggestions(
    info: Info, ticket_id: strawberry.ID, first: int = 5
) -> list[KbArticleSearchEdge]:
    size = _page_size(first)
    try:
        pk = decode_id_of(ticket_id, "Ticket", "ticketId")
    except InvalidArgumentError as exc:
        raise bad_input(exc) from exc
    async with info.context.session_factory() as session:
        hits = await suggest_articles(session, info.context.principal, pk, size)
    if hits is None:
        raise GraphQLError(
            "no ticket with this id",
            extensions={"code": RequestErrorCode.NOT_FOUND.value, "argument": "ticketId"},
        )
    return _results(hits, size, 0).edges


async def resolve_for_ticket(
    info: Info,
    ticket_id: strawberry.ID,
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
    filter: KbArticleFilter | None = None,
    order_by: KbArticleOrder | None = None,
) -> Connection[KbArticle]:
    request = checked_request(first, after, last, before)
    filter_ = checked_filter(filter)
    try:
        pk = decode_id_of(ticket_id, "Ticket", "ticketId")
        order = resolve_ordering("kb_article", order_by, "title")
    except InvalidArgumentError as exc:
        raise bad_input(exc) from exc
    loaders = info.context.loaders
    # A ticket the principal does not see (or one in the trash) shows no articles.
    ticket = await loaders.by_id(SPECS["ticket"].table).load(pk)
    if ticket is None or ticket.deleted_at is not None:
        return build_connection(Page([], False, False, order), KbArticle, _none)  # type: ignore[no-any-return]
    try:  # the cursor is decoded with the level's ordering, in the loader
        page = await loaders.page(KB_ARTICLES_BY_TICKET, order, request, filter_).load(pk)
    except InvalidArgumentError as exc:
        raise bad_input(exc) from exc
    count = loaders.count(KB_ARTICLES_BY_TICKET, filter_)
    return build_connection(page, KbArticle, lambda: count.load(pk))  # type: ignore[no-any-return]


async def _none() -> int:
    return 0


READ_TICKETS = requires(Scope.TICKETS_READ)

SEARCH_KB_ARTICLES = strawberry.field(
    resolver=resolve_search,
    description="Articles matching a full-text query, most relevant first: title matches weigh "
    "most, then category, then body.",
    permission_classes=can_read("kb_article"),
)
SUGGESTED_KB_ARTICLES = strawberry.field(
    resolver=resolve_suggestions,
    description="Published articles that may answer a ticket: those matching any significant "
    "word of its subject and description, best first (knowledge:read and tickets:read).",
    permission_classes=[*can_read("kb_article"), READ_TICKETS],
)
KB_ARTICLES_FOR_TICKET = strawberry.field(
    resolver=resolve_for_ticket,
    description="The articles linked to a ticket as having helped solve it (knowledge:read and "
    "tickets:read).",
    permission_classes=[*can_read("kb_article"), READ_TICKETS],
)
