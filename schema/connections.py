"""Relay connections: keyset pages as `edges`/`nodes`/`pageInfo`/`totalCount`, and orderings."""

from __future__ import annotations

import functools
import importlib
import inspect
from collections.abc import Awaitable, Callable, Sequence
from enum import Enum
from typing import Annotated, Any, ForwardRef, Generic, TypeVar, get_args

import strawberry
from sqlalchemy import ColumnElement
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kernel.errors import InvalidArgumentError
from kernel.filtering import Filter, FilterSpec
from kernel.loaders import ToMany
from kernel.pagination import Ordering, Page, PageRequest, page_request
from kernel.principal import Principal
from kernel.repository import authorize_filter, count_rows, fetch_page, visible_conditions
from resolvers.graph import ORDERINGS, SPECS, ordering
from schema.context import Info
from schema.errors import bad_input
from schema.filters import to_filter
from schema.node import Node
from schema.permissions import can_read
from schema.sources import Children, Parent, RootList, source

T = TypeVar("T", bound=Node)


@strawberry.type(description="Where a page sits in the whole list.")
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    page: strawberry.Private[Page]

    @strawberry.field(description="Cursor of the first node of the page.")
    def start_cursor(self) -> str | None:
        return self.page.cursor(self.page.rows[0]) if self.page.rows else None

    @strawberry.field(description="Cursor of the last node of the page.")
    def end_cursor(self) -> str | None:
        return self.page.cursor(self.page.rows[-1]) if self.page.rows else None


@strawberry.type(description="A node and the cursor of its position.")
class Edge(Generic[T]):
    node: T
    row: strawberry.Private[Any]
    page: strawberry.Private[Page]

    @strawberry.field(description="Pass as `after` (or `before`) to continue from this node.")
    def cursor(self) -> str:
        return self.page.cursor(self.row)


@strawberry.type(description="A page of a list, paginated by opaque cursors.")
class Connection(Generic[T]):
    edges: list[Edge[T]]
    nodes: list[T]
    page_info: PageInfo
    count: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(description="Number of items in the whole list, across all pages.")
    async def total_count(self) -> int:
        return await self.count()


@strawberry.enum(description="Sort direction.")
class OrderDirection(Enum):
    ASC = "asc"
    DESC = "desc"


def build_connection(page: Page, node: type[T], count: Callable[[], Awaitable[int]]) -> Any:
    """A connection over a page; cursors are encoded only where the query asks for them."""
    rows = page.rows
    nodes = [node.from_row(row) for row in rows]
    return Connection(
        edges=[Edge(node=item, row=row, page=page) for row, item in zip(rows, nodes, strict=True)],
        nodes=nodes,
        page_info=PageInfo(
            has_next_page=page.has_next_page,
            has_previous_page=page.has_previous_page,
            page=page,
        ),
        count=count,
    )


def order_input(type_name: str, graphql_name: str) -> Any:
    """`<Type>Order { field, direction }`, the fields being the type's keyset orderings."""
    members = {name.upper(): name for name in ORDERINGS[type_name]}
    values: Any = Enum(f"{graphql_name}OrderField", members)  # type: ignore[misc]
    field_enum = strawberry.enum(
        values, description=f"Fields a {graphql_name} list can be sorted by."
    )
    namespace: dict[str, Any] = {
        "__annotations__": {"field": field_enum, "direction": OrderDirection},
        "direction": OrderDirection.ASC,
    }
    return strawberry.input(
        type(f"{graphql_name}Order", (), namespace),
        description=f"Sort order of a {graphql_name} list; ties are broken by id.",
    )


def resolve_ordering(type_name: str, order_by: Any, default: str) -> Any:
    if order_by is None or order_by is strawberry.UNSET:
        return ordering(type_name, default)
    return ordering(type_name, order_by.field.value, order_by.direction is OrderDirection.DESC)


def checked_request(
    first: int | None, after: str | None, last: int | None, before: str | None
) -> PageRequest:
    try:
        return page_request(first, after, last, before)
    except InvalidArgumentError as exc:
        raise bad_input(exc) from exc


def checked_filter(value: Any) -> Filter | None:
    try:
        return to_filter(value)  # type: ignore[no-any-return]
    except InvalidArgumentError as exc:
        raise bad_input(exc) from exc


def children_arguments(
    relation: ToMany,
    default_order: str,
    principal: Principal,
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
    filter: Any = None,
    order_by: Any = None,
) -> tuple[Ordering, PageRequest, Filter | None]:
    """The ordering, page and filter of a nested connection, checked; GraphQL errors if not."""
    request = checked_request(first, after, last, before)
    filter_ = checked_filter(filter)
    try:
        # Checked here, once: the loader compiles it again for the whole level.
        authorize_filter(relation.spec, filter_, principal)
        order = resolve_ordering(relation.target, order_by, default_order)
    except InvalidArgumentError as exc:
        raise bad_input(exc) from exc
    return order, request, filter_


def connection_field(
    relation: ToMany,
    node: Any,
    filter_type: Any,
    order_type: Any,
    default_order: str,
    description: str,
    name: str | None = None,
) -> Any:
    """A nested connection field, read for all parents of a level in one windowed query."""
    node_class = functools.cache(lambda: resolve_node(node))

    async def resolve(
        root: Any,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        filter: Any = None,
        order_by: Any = None,
    ) -> Any:
        order, request, filter_ = children_arguments(
            relation,
            default_order,
            info.context.principal,
            first,
            after,
            last,
            before,
            filter,
            order_by,
        )
        loaders = info.context.loaders
        try:
            page = await loaders.page(relation, order, request, filter_).load(root.pk)
        except InvalidArgumentError as exc:
            raise bad_input(exc) from exc
        count_loader = loaders.count(relation, filter_)
        return build_connection(page, node_class(), lambda: count_loader.load(root.pk))

    resolve.__annotations__ = {
        "info": Info,
        "first": int | None,
        "after": str | None,
        "last": int | None,
        "before": str | None,
        "filter": filter_type | None,
        "order_by": order_type | None,
        "return": Connection[node],
    }
    return strawberry.field(
        resolver=resolve,
        name=name,
        description=description,
        permission_classes=can_read(relation.target),
        metadata=source(Children(relation, default_order)),
    )


def resolve_node(node: Any) -> Any:
    """The class a type stands for: itself, or the class a `lazy` annotation names."""
    metadata = getattr(node, "__metadata__", None)
    if not metadata:
        return node
    forward = get_args(node)[0]
    name = forward.__forward_arg__ if isinstance(forward, ForwardRef) else str(forward)
    return getattr(importlib.import_module(metadata[0].module), name)


def lazy(name: str, module: str) -> Any:
    """A type defined later (or in a module that imports this one), resolved when needed."""
    return Annotated[name, strawberry.lazy(module)]


def to_one(node: Any, key: str, type_key: str, description: str) -> Any:
    """A to-one relation field: the row ``key`` names, through the request's loader."""
    node_class = functools.cache(lambda: resolve_node(node))

    async def resolve(root: Any, info: Info) -> Any:
        return await load_node(info, node_class(), getattr(root, key))

    resolve.__annotations__ = {"info": Info, "return": node | None}
    return strawberry.field(
        resolver=resolve,
        description=description,
        permission_classes=can_read(type_key),
        metadata=source(Parent(key, type_key)),
    )


async def load_node(info: Info, node: type[T], key: Any) -> T | None:
    """A to-one relation: the row by id through the request's loader, as a schema object."""
    if key is None:
        return None
    table = SPECS[_type_key(node)].table
    return node.from_optional(await info.context.loaders.by_id(table).load(key))


def _type_key(node: type[Node]) -> str:
    name = node.type_name()
    return "".join("_" + char.lower() if char.isupper() else char for char in name).lstrip("_")


async def page_of(
    info: Info,
    type_name: str,
    node: Any,
    request: Any,
    order_by: Any,
    default_order: str,
    conditions: Any,
) -> Any:
    """One page of the rows of ``type_name`` meeting ``conditions``, as a connection whose
    total count is read only when asked for."""
    page, count = await fetch_list(
        info.context.session_factory, type_name, request, order_by, default_order, conditions
    )
    return build_connection(page, node, count)


async def fetch_list(
    session_factory: async_sessionmaker[AsyncSession],
    type_name: str,
    request: PageRequest,
    order_by: Any,
    default_order: str,
    conditions: Sequence[ColumnElement[bool]],
    columns: Sequence[str] | None = None,
) -> tuple[Page, Callable[[], Awaitable[int]]]:
    """One page of a list (``columns`` of its rows, all by default) and the function that
    counts the whole list, when asked to."""
    spec = SPECS[type_name]
    try:
        order = resolve_ordering(type_name, order_by, default_order)
        async with session_factory() as session:
            page = await fetch_page(session, spec, order, request, conditions, columns)
    except InvalidArgumentError as exc:
        raise bad_input(exc) from exc

    async def count() -> int:
        async with session_factory() as session:
            return await count_rows(session, spec, conditions)

    return page, count


def list_arguments(
    spec: FilterSpec,
    principal: Principal,
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
    filter: Any = None,
    search: str | None = None,
    include_deleted: bool = False,
) -> tuple[PageRequest, list[ColumnElement[bool]]]:
    """The page and the WHERE clauses of a top-level list, checked; GraphQL errors if not."""
    request = checked_request(first, after, last, before)
    try:
        conditions = visible_conditions(
            spec, principal, checked_filter(filter), search, include_deleted
        )
    except InvalidArgumentError as exc:
        raise bad_input(exc) from exc
    return request, conditions


def list_field(
    type_name: str,
    node: Any,
    filter_type: Any,
    order_type: Any,
    default_order: str,
    description: str,
    searchable: bool = False,
) -> Any:
    """A top-level list: filter, free-text search, order and keyset pages."""
    spec = SPECS[type_name]

    async def resolve(
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        filter: Any = None,
        order_by: Any = None,
        search: str | None = None,
        include_deleted: bool = False,
    ) -> Any:
        request, conditions = list_arguments(
            spec,
            info.context.principal,
            first,
            after,
            last,
            before,
            filter,
            search,
            include_deleted,
        )
        return await page_of(info, type_name, node, request, order_by, default_order, conditions)

    annotations: dict[str, Any] = {
        "info": Info,
        "first": int | None,
        "after": str | None,
        "last": int | None,
        "before": str | None,
        "filter": filter_type | None,
        "order_by": order_type | None,
        "include_deleted": bool,
        "return": Connection[node],
    }
    if searchable:
        annotations["search"] = str | None
    else:
        # The same resolver without the argument: strawberry reads the signature.
        signature = inspect.signature(resolve)
        parameters = [
            p.replace(annotation=annotations[p.name])
            for p in signature.parameters.values()
            if p.name != "search"
        ]
        resolve.__signature__ = signature.replace(  # type: ignore[attr-defined]
            parameters=parameters, return_annotation=annotations["return"]
        )
    resolve.__annotations__ = annotations
    return strawberry.field(
        resolver=resolve,
        description=description,
        permission_classes=can_read(type_name),
        metadata=source(RootList(type_name, default_order, searchable)),
    )
