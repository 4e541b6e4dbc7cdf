"""One statement per operation: the database builds the answer's JSON.

Level by level, a plan costs one batched statement per level and a Python dict per object. The
whole tree compiles instead into one statement of nested JSON-building subqueries, as PostGraphile
does (PostgreSQL: `json_build_object` and `json_agg`; SQLite: `json_object` and
`json_group_array`, each page read in its answer's order). Each connection is a subquery over its
parent's row, filtered, ordered, paginated and counted exactly as level by level, through the
same visibility, filter, ordering and page helpers. What only Python can produce (decrypted or
masked personal data, money, times and ids of other columns as their scalars serialize them,
global ids, cursors; on SQLite also booleans) the statement returns raw, and a finishing pass
fixes those values in place.

Anything it does not cover raises `UnplannableError`; the executor then runs the plan level by
level.
"""

from __future__ import annotations

import sqlite3
import uuid
from base64 import b64encode
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ColumnElement,
    Select,
    Text,
    TypeDecorator,
    case,
    cast,
    false,
    func,
    literal_column,
    select,
    true,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.elements import KeyedColumnElement

from kernel.cursors import encode_cursor
from kernel.errors import InvalidArgumentError
from kernel.loaders import children_select
from kernel.pagination import Ordering, PageRequest, numbered_page
from kernel.principal import Principal
from kernel.tables import selected_columns
from kernel.visibility import row_filter
from resolvers.graph import SPECS
from schema.connections import children_arguments, list_arguments, resolve_ordering
from schema.planner.catalog import Column, FieldInfo, GlobalId, Leaf, UnplannableError
from schema.planner.plan import (
    RELATION,
    TYPENAME,
    ChildrenPlan,
    ConnectionPlan,
    ListPlan,
    ObjectPlan,
    OperationPlan,
    ParentPlan,
)

# A value of the statement's JSON turned into the answer's; None where it is already the answer.
Finish = Callable[[Any], Any]
Arguments = Callable[[FieldInfo, Any], dict[str, Any]]

# json_build_object takes at most 100 arguments: 50 keys and their values.
_MAX_KEYS = 50


def _constant(value: str) -> ColumnElement[Any]:
    return literal_column("'" + value.replace("'", "''") + "'", Text)


def _present(value: Any) -> Any:
    if value is None:
        raise UnplannableError("null in a non-null field")
    return value


def _python(column_type: Any, dialect: Dialect) -> tuple[Callable[[Any], Any], bool]:
    """How PostgreSQL's JSON value of a column becomes its Python value, and whether the
    statement must send it as text (money: a JSON number would lose digits)."""
    if isinstance(column_type, TypeDecorator):
        impl, as_text = _python(column_type.impl_instance, dialect)
        process = column_type.process_result_value
        return (lambda raw: process(impl(raw), dialect)), as_text
    if isinstance(column_type, JSON):
        return (lambda raw: raw), False
    try:
        python_type = column_type.python_type
    except NotImplementedError as exc:
        raise UnplannableError(f"column type {column_type!r}") from exc
    if python_type is Decimal:
        return (lambda raw: None if raw is None else Decimal(raw)), True
    if python_type is datetime:

        def moment(raw: Any) -> Any:
            if raw is None:
                return None
            value = datetime.fromisoformat(raw)
            return value if value.tzinfo is None else value.astimezone(UTC)

        return moment, False
    if python_type is date:
        return (lambda raw: None if raw is None else date.fromisoformat(raw)), False
    if python_type is uuid.UUID:
        return (lambda raw: None if raw is None else uuid.UUID(raw)), True
    if python_type in (str, bool, int, float):
        return (lambda raw: raw), False
    raise UnplannableError(f"column type {column_type!r}")


def _identity(raw: Any) -> Any:
    return raw


class JsonFlavour:
    """PostgreSQL's way of building JSON; `_SqliteJson` overrides what SQLite does otherwise."""

    # Whether the database's JSON has booleans (SQLite's has 0 and 1).
    booleans = True
    # How many connections and parents deep one statement may nest (None: no limit).
    max_depth: int | None = None

    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect

    # The function building an object from keys and values.
    object_function = "json_build_object"

    def object(self, pairs: list[tuple[str, ColumnElement[Any]]]) -> ColumnElement[Any]:
        if len(pairs) > _MAX_KEYS:
            raise UnplannableError("too many fields in one object")
        arguments: list[Any] = []
        for key, value in pairs:
            arguments += [_constant(key), value]
        return getattr(func, self.object_function)(*arguments, type_=JSON)  # type: ignore[no-any-return]

    def nested(self, value: ColumnElement[Any]) -> ColumnElement[Any]:
        """A JSON value from a subquery or an expression, embeddable in an object or array."""
        return value

    def array(self, *values: ColumnElement[Any]) -> ColumnElement[Any]:
        return func.json_build_array(*values)

    def aggregate(
        self, value: ColumnElement[Any], ordering: Any, in_page: ColumnElement[bool]
    ) -> ColumnElement[Any]:
        """The JSON array of ``value`` over the page's rows, in ``ordering``; NULL if none."""
        return func.json_agg(aggregate_order_by(value, ordering)).filter(in_page)

    def list_of(self, aggregated: ColumnElement[Any]) -> ColumnElement[Any]:
        return func.coalesce(aggregated, literal_column("'[]'::json"))

    def edge_of(
        self, value: ColumnElement[Any], ordering: Any, last: bool, in_page: ColumnElement[bool]
    ) -> ColumnElement[Any]:
        """The first (or ``last``) page row's ``value``; ``ordering`` puts that row first."""
        return self.aggregate(value, ordering, in_page).op("->")(0)

    def ordered(self, page: Any, backward: bool) -> Any:
        """The page's rows, as the aggregates read them."""
        return page

    def boolean(self, condition: ColumnElement[Any]) -> tuple[ColumnElement[Any], Finish | None]:
        return condition, None

    def global_id(self, type_name: str, id_column: Any) -> tuple[ColumnElement[Any], Finish | None]:
        # Encoded in Python: base64 in the statement costs PostgreSQL more than Python.
        prefix = f"{type_name}:"

        def encode(raw: Any) -> Any:
            # 32 hex digits where the database stores UUIDs as text (SQLite): dashed here.
            if len(raw) == 32:
                raw = f"{raw[:8]}-{raw[8:12]}-{raw[12:16]}-{raw[16:20]}-{raw[20:]}"
            return b64encode(f"{prefix}{raw}".encode()).decode()

        return id_column, encode

    def raw(self, column: Any) -> tuple[ColumnElement[Any], Callable[[Any], Any]]:
        """A column as the statement sends it, and how Python reads that back."""
        convert, as_text = _python(column.type, self.dialect)
        return (cast(column, Text) if as_text else column), convert


class _SqliteJson(JsonFlavour):
    """SQLite: JSON from subqueries arrives as text (wrapped in `json()` to embed), arrays are
    aggregated in the order their rows are read, stored values read back as SQLAlchemy reads
    them (its result processors)."""

    booleans = False
    # SQLite's parser stack (100 entries) overflows on four levels of these subqueries.
    max_depth = 3

    object_function = "json_object"

    def nested(self, value: ColumnElement[Any]) -> ColumnElement[Any]:
        return func.json(value, type_=JSON)

    def array(self, *values: ColumnElement[Any]) -> ColumnElement[Any]:
        return func.json_array(*values)

    def aggregate(
        self, value: ColumnElement[Any], ordering: Any, in_page: ColumnElement[bool]
    ) -> ColumnElement[Any]:
        return func.json_group_array(value).filter(in_page)

    def list_of(self, aggregated: ColumnElement[Any]) -> ColumnElement[Any]:
        return self.nested(func.coalesce(aggregated, _constant("[]")))

    def edge_of(
        self, value: ColumnElement[Any], ordering: Any, last: bool, in_page: ColumnElement[bool]
    ) -> ColumnElement[Any]:
        path = _constant("$[#-1]" if last else "$[0]")
        return self.nested(func.json_extract(self.aggregate(value, ordering, in_page), path))

    def ordered(self, page: Any, backward: bool) -> Any:
        # The numbered page is read backwards for `last`/`before`; its answer runs forwards.
        if not backward:
            return page
        return select(page).order_by(page.c.row_number.desc()).subquery(f"{page.name}_forward")

    def boolean(self, condition: ColumnElement[Any]) -> tuple[ColumnElement[Any], Finish | None]:
        return condition, _boolean

    def raw(self, column: Any) -> tuple[ColumnElement[Any], Callable[[Any], Any]]:
        column_type = column.type
        if isinstance(column_type, JSON) or isinstance(
            getattr(column_type, "impl_instance", None), JSON
        ):
            if isinstance(column_type, TypeDecorator):
                raise UnplannableError("JSON column behind a type decorator")
            return self.nested(column), _identity
        processor = column_type.dialect_impl(self.dialect).result_processor(self.dialect, None)
        return column, (processor or _identity)


def json_flavour(dialect: Dialect) -> JsonFlavour | None:
    """How ``dialect`` builds JSON; None for a database the statement does not serve."""
    if dialect.name == "postgresql":
        return JsonFlavour(dialect)
    # HAVING without GROUP BY (one row for a page of constants) needs SQLite 3.39.
    if dialect.name == "sqlite" and sqlite3.sqlite_version_info >= (3, 39):
        return _SqliteJson(dialect)
    return None


def _boolean(raw: Any) -> Any:
    return None if raw is None else bool(raw)


class StatementCompiler:
    """Compiles one execution of a plan (its arguments, its principal) into one statement."""

    def __init__(
        self, principal: Principal, pii: bool, arguments: Arguments, json: JsonFlavour
    ) -> None:
        self.principal = principal
        self.pii = pii
        self.arguments = arguments
        self.json = json
        self._names = 0
        self._depth = 0

    def _enter(self) -> None:
        self._depth += 1
        if self.json.max_depth is not None and self._depth > self.json.max_depth:
            raise UnplannableError("nested too deep for one statement")

    def _name(self) -> str:
        self._names += 1
        return f"level_{self._names}"

    def operation(self, plan: OperationPlan) -> tuple[Select[Any], Finish | None]:
        """The statement selecting the `data` object as JSON text, and its finishing pass."""
        pairs: list[tuple[str, ColumnElement[Any]]] = []
        finishes: list[tuple[str, Finish]] = []
        for key, kind, arg in plan.roots:
            if kind == TYPENAME:
                pairs.append((key, _constant(arg)))
            elif isinstance(arg, ListPlan):
                value, finish = self._list(arg)
                pairs.append((key, value))
                if finish is not None:
                    finishes.append((key, finish))
            else:
                raise UnplannableError("node lookups run level by level")
        return select(cast(self.json.object(pairs), Text)), _finish_keys(finishes)

    def _list(self, plan: ListPlan) -> tuple[ColumnElement[Any], Finish | None]:
        source = plan.kind.source
        spec = SPECS[source.type_key]
        arguments = self.arguments(plan.info, plan.node)
        order_by = arguments.pop("order_by", None)
        request, conditions = list_arguments(spec, self.principal, **arguments)
        try:
            order = resolve_ordering(source.type_key, order_by, source.default_order)
        except InvalidArgumentError as exc:
            raise UnplannableError("ordering") from exc  # graphql-core reports it
        columns = selected_columns(spec.table, plan.connection.columns, order.column)
        page = select(*columns).where(*conditions)
        count = select(func.count()).select_from(spec.table).where(*conditions)
        return self._connection(plan.connection, page, order, request, count, None)

    def _connection(
        self,
        plan: ConnectionPlan,
        statement: Select[Any],
        order: Ordering,
        request: PageRequest,
        count: Select[Any] | None,
        parent: Any,
    ) -> tuple[ColumnElement[Any], Finish | None]:
        """A connection over the rows of ``statement`` (correlated to ``parent`` if given)."""
        self._enter()
        json = self.json
        numbered = numbered_page(statement, order, request)
        if parent is not None:
            numbered = numbered.correlate(parent)
        page = json.ordered(numbered.subquery(self._name()), request.backward)
        size = request.size
        in_page = page.c.row_number <= size
        forward, backward = page.c.row_number.asc(), page.c.row_number.desc()
        first, last = (backward, forward) if request.backward else (forward, backward)
        more, more_finish = json.boolean(func.count() > size)
        if order.column.key not in page.c:
            raise UnplannableError("ordering outside the row")
        cursor_value, cursor_read = json.raw(page.c[order.column.key])
        cursor_raw = json.array(cursor_value, page.c.id)

        def cursor(raw: Any) -> Any:
            if raw is None:
                return None
            return encode_cursor(order.field, cursor_read(raw[0]), uuid.UUID(raw[1]))

        pairs: list[tuple[str, ColumnElement[Any]]] = []
        finishes: list[tuple[str, Finish]] = []
        reads_page = False
        for key, name, arg in plan.entries:
            reads_page = reads_page or name in ("pageInfo", "nodes", "edges")
            if name == "__typename":
                pairs.append((key, _constant(arg)))
            elif name == "totalCount":
                if count is None:
                    raise UnplannableError("count")
                if parent is not None:
                    count = count.correlate(parent)
                pairs.append((key, count.scalar_subquery()))
            elif name == "pageInfo":
                info: list[tuple[str, ColumnElement[Any]]] = []
                fixes: list[tuple[str, Finish]] = []
                for info_key, info_name, info_arg in arg:
                    if info_name in ("hasNextPage", "hasPreviousPage"):
                        known = request.before if request.backward else request.after
                        if (info_name == "hasNextPage") == request.backward:
                            info.append((info_key, _flag(known)))
                            if not json.booleans:
                                fixes.append((info_key, _boolean))
                        else:
                            info.append((info_key, more))
                            if more_finish is not None:
                                fixes.append((info_key, more_finish))
                    elif info_name in ("startCursor", "endCursor"):
                        end = info_name == "endCursor"
                        ordering = last if end else first
                        info.append((info_key, json.edge_of(cursor_raw, ordering, end, in_page)))
                        fixes.append((info_key, cursor))
                    else:
                        info.append((info_key, _constant(info_arg)))
                pairs.append((key, json.object(info)))
                if fixes:
                    finishes.append((key, _finish_keys(fixes)))  # type: ignore[arg-type]
            elif name == "nodes":
                value, finish = self.object(arg, page)
                pairs.append((key, json.list_of(json.aggregate(value, first, in_page))))
                if finish is not None:
                    finishes.append((key, _finish_each(finish)))
            elif name == "edges":
                edge: list[tuple[str, ColumnElement[Any]]] = []
                edge_finishes: list[tuple[str, Finish]] = []
                for edge_key, edge_name, edge_arg in arg:
                    if edge_name == "node":
                        value, finish = self.object(edge_arg, page)
                        edge.append((edge_key, value))
                        if finish is not None:
                            edge_finishes.append((edge_key, finish))
                    elif edge_name == "cursor":
                        edge.append((edge_key, cursor_raw))
                        edge_finishes.append((edge_key, cursor))
                    else:
                        edge.append((edge_key, _constant(edge_arg)))
                nodes = json.aggregate(json.object(edge), first, in_page)
                pairs.append((key, json.list_of(nodes)))
                finish_edge = _finish_keys(edge_finishes)
                if finish_edge is not None:
                    finishes.append((key, _finish_each(finish_edge)))
            else:
                raise UnplannableError(f"connection field {name}")
        # One row, even for an empty page: whatever reads the page is an aggregate, and a
        # connection of counts and constants only reads no page at all.
        connection = select(json.object(pairs))
        if reads_page:
            connection = connection.select_from(page)
        if parent is not None:
            connection = connection.correlate(parent)
        self._depth -= 1
        return json.nested(connection.scalar_subquery()), _finish_keys(finishes)

    def object(self, plan: ObjectPlan, row: Any) -> tuple[ColumnElement[Any], Finish | None]:
        """The JSON object of ``plan`` for the row ``row`` (a subquery with its columns)."""
        pairs: list[tuple[str, ColumnElement[Any]]] = []
        finishes: list[tuple[str, Finish]] = []
        for key, kind, arg in plan.entries:
            if kind == TYPENAME:
                pairs.append((key, _constant(arg)))
                continue
            if kind == RELATION:
                relation = plan.relations[arg]
                if isinstance(relation, ParentPlan):
                    value, finish = self._parent(relation, row)
                else:
                    value, finish = self._children(relation, row)
            else:
                value, finish = self._leaf(plan, key, row)
            pairs.append((key, value))
            if finish is not None:
                finishes.append((key, finish))
        return self.json.object(pairs), _finish_keys(finishes)

    def _leaf(
        self, plan: ObjectPlan, key: str, row: Any
    ) -> tuple[ColumnElement[Any], Finish | None]:
        kind = plan.leaves[key]
        json = self.json
        if isinstance(kind, GlobalId):
            return json.global_id(kind.type_name, row.c.id)
        if isinstance(kind, Column):
            column = row.c[kind.attribute]
            leaf = kind.leaf
            verbatim = kind.verbatim and (json.booleans or not isinstance(column.type, Boolean))
            if verbatim or _native_number(column, leaf):
                nullable = column.type is not None and getattr(column, "nullable", True)
                return column, (_present if not leaf.nullable and nullable else None)
            if kind.names is not None:
                return _case(column, kind.names), (None if leaf.nullable else _present)
            value, read = json.raw(column)
            return value, lambda raw: leaf(read(raw))
        value, read = json.raw(row.c[kind.column])
        mask, leaf, pii = kind.mask, kind.leaf, self.pii
        if pii:
            return value, lambda raw: leaf(read(raw))
        return value, lambda raw: leaf(mask(read(raw)))

    def _parent(self, plan: ParentPlan, row: Any) -> tuple[ColumnElement[Any], Finish | None]:
        self._enter()
        kind = plan.kind
        table = kind.table
        statement = select(*selected_columns(table, plan.child.columns)).where(
            table.c.id == row.c[kind.key]
        )
        if (visible := row_filter(table.name, self.principal)) is not None:
            statement = statement.where(visible)
        target = statement.correlate(row).subquery(self._name())
        value, finish = self.object(plan.child, target)
        self._depth -= 1
        expression = self.json.nested(
            select(value).select_from(target).correlate(row).scalar_subquery()
        )
        if kind.nullable:
            return expression, (None if finish is None else _unless_none(finish))
        return expression, _required(finish)

    def _children(self, plan: ChildrenPlan, row: Any) -> tuple[ColumnElement[Any], Finish | None]:
        source = plan.kind.source
        relation = source.relation
        arguments = self.arguments(plan.info, plan.node)
        order, request, filter_ = children_arguments(
            relation, source.default_order, self.principal, **arguments
        )
        table = relation.spec.table

        parent_id: ColumnElement[Any] = row.c.id

        def of_parent(key: KeyedColumnElement[Any]) -> ColumnElement[bool]:
            return key == parent_id

        columns = selected_columns(table, plan.connection.columns, order.column)
        statement, _ = children_select(relation, self.principal, filter_, columns, of_parent)
        count = None
        if plan.connection.counts:
            counted, _ = children_select(relation, self.principal, filter_, [table.c.id], of_parent)
            count = select(func.count()).select_from(counted.correlate(row).subquery())
        return self._connection(plan.connection, statement, order, request, count, row)


def _native_number(column: Any, leaf: Leaf) -> bool:
    if leaf.many:
        return False
    try:
        python_type = column.type.python_type
    except NotImplementedError:
        return False
    if isinstance(column.type, TypeDecorator | Boolean):
        return False
    serialize = getattr(leaf.serialize, "__name__", "")
    return (python_type is int and serialize == "serialize_int") or (
        python_type is float and serialize == "serialize_float"
    )


def _case(column: Any, names: tuple[tuple[str, str], ...]) -> ColumnElement[Any]:
    return case(
        *((column == _constant(stored), _constant(name)) for stored, name in names),
        else_=None,
    )


def _flag(cursor: str | None) -> ColumnElement[Any]:
    return true() if cursor is not None else false()


def _finish_keys(finishes: list[tuple[str, Finish]]) -> Finish | None:
    """Finishes the values under these keys of an object, in place."""
    if not finishes:
        return None

    def finish(value: dict[str, Any]) -> dict[str, Any]:
        for key, fix in finishes:
            value[key] = fix(value[key])
        return value

    return finish


def _finish_each(finish: Finish) -> Finish:
    return lambda values: [finish(value) for value in values]


def _unless_none(finish: Finish) -> Finish:
    return lambda value: None if value is None else finish(value)


def _required(finish: Finish | None) -> Finish:
    if finish is None:
        return _present
    return lambda value: finish(_present(value))
