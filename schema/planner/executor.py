"""Running plans: each level fetched for all its parents at once, the answer built as dicts."""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
import strawberry
from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    GraphQLError,
    OperationDefinitionNode,
    VariableNode,
)
from graphql.execution.values import VariableValues, get_argument_values, get_variable_values
from sqlalchemy import Select
from strawberry.types import ExecutionResult
from strawberry.types.arguments import convert_arguments

from kernel.errors import InvalidArgumentError
from kernel.pagination import Page
from kernel.permissions import Scope, has_scope
from resolvers.graph import SPECS
from schema.connections import children_arguments, fetch_list, list_arguments
from schema.context import Context
from schema.planner.catalog import Catalog, FieldInfo, UnplannableError
from schema.planner.plan import (
    RELATION,
    TYPENAME,
    VALUE,
    ChildrenPlan,
    Compiler,
    ConnectionPlan,
    ListPlan,
    LookupPlan,
    ObjectPlan,
    OperationPlan,
    ParentPlan,
    RelationPlan,
)
from schema.planner.statement import Finish, JsonFlavour, StatementCompiler, json_flavour
from schema.query import MAX_NODES, node_target

logger = logging.getLogger(__name__)

_EXPECTED = (UnplannableError, GraphQLError, InvalidArgumentError)


@dataclass(frozen=True)
class _Built:
    plan: OperationPlan
    statement: Select[Any]
    finish: Finish | None


@dataclass
class _Entry:
    """The plans of one (document, operation): one per value of its @skip/@include variables."""

    directive_variables: tuple[str, ...]
    plans: dict[tuple[Any, ...], OperationPlan | None] = field(default_factory=dict)


class PlannedExecutor:
    """Executes query operations from cached plans; None where graphql-core must answer."""

    def __init__(
        self, schema: strawberry.Schema, maxsize: int = 512, one_statement: bool = True
    ) -> None:
        self.schema = schema
        # Run each plan as one statement building the JSON (`statement`), where the database can.
        self.one_statement = one_statement
        # Built statements by (plan, principal, variables): a statement depends on nothing
        # else, and building one costs more than running it.
        self._statements: OrderedDict[tuple[Any, ...], _Built] = OrderedDict()
        self.catalog = Catalog(schema._schema)
        self.maxsize = maxsize
        self._entries: OrderedDict[tuple[str, str | None], _Entry] = OrderedDict()

    async def execute(
        self,
        document: DocumentNode,
        operation: OperationDefinitionNode,
        query: str,
        variables: dict[str, Any] | None,
        context: Context,
    ) -> ExecutionResult | None:
        """The result of a validated operation, or None to let graphql-core execute it."""
        coerced = get_variable_values(
            self.schema._schema, operation.variable_definitions or (), variables or {}
        )
        if isinstance(coerced, list):
            return None  # graphql-core reports the variable errors
        plan = self._plan(document, operation, query, coerced)
        if plan is None or not all(has_scope(context.principal, s) for s in plan.scopes):
            return None
        try:
            run = _Run(self, plan.compiler, context, coerced, variables)
            data = await run.roots(plan)
        except _EXPECTED:
            return None
        except Exception:
            # A bug here must not change an answer: graphql-core answers instead.
            logger.exception("planned execution failed; executing with graphql-core")
            return None
        return ExecutionResult(data=data, errors=None)

    def _plan(
        self,
        document: DocumentNode,
        operation: OperationDefinitionNode,
        query: str,
        variables: VariableValues,
    ) -> OperationPlan | None:
        key = (query, operation.name.value if operation.name else None)
        entry = self._entries.get(key)
        if entry is None:
            entry = self._entries[key] = _Entry(_directive_variables(document))
            if len(self._entries) > self.maxsize:
                self._entries.popitem(last=False)
        else:
            self._entries.move_to_end(key)
        values = tuple(variables.coerced.get(name) for name in entry.directive_variables)
        if values not in entry.plans:
            fragments = {
                d.name.value: d
                for d in document.definitions
                if isinstance(d, FragmentDefinitionNode)
            }
            try:
                compiled = Compiler(self.catalog, fragments, variables).operation(operation)
            except UnplannableError:
                compiled = None
            entry.plans[values] = compiled
        return entry.plans[values]


def _directive_variables(document: DocumentNode) -> tuple[str, ...]:
    """The variables any @skip/@include of the document reads: they shape the plan."""
    names: set[str] = set()

    def scan(node: Any) -> None:
        for directive in getattr(node, "directives", None) or ():
            for argument in directive.arguments or ():
                if isinstance(argument.value, VariableNode):
                    names.add(argument.value.name.value)
        selection_set = getattr(node, "selection_set", None)
        for selection in selection_set.selections if selection_set else ():
            scan(selection)

    for definition in document.definitions:
        scan(definition)
    return tuple(sorted(names))


async def _all(awaitables: Sequence[Awaitable[Any]]) -> list[Any]:
    """Every result, in order; the first failure raised only once all have finished."""
    if len(awaitables) == 1:
        return [await awaitables[0]]
    results = await asyncio.gather(*awaitables, return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return results


class _Run:
    """One execution of a plan: the request's principal, loaders and variables."""

    def __init__(
        self,
        executor: PlannedExecutor,
        compiler: Compiler,
        context: Context,
        variables: VariableValues,
        raw_variables: dict[str, Any] | None = None,
    ) -> None:
        self.executor = executor
        self.raw_variables = raw_variables
        self.compiler = compiler
        self.context = context
        self.principal = context.principal
        self.pii = has_scope(self.principal, Scope.PII_READ)
        self.loaders = context.loaders
        self.variables = variables

    def arguments(self, info: FieldInfo, node: FieldNode) -> dict[str, Any]:
        """The field's arguments as its resolver would receive them."""
        schema = self.executor.schema
        raw = get_argument_values(info.definition, node, self.variables)
        return convert_arguments(
            raw,
            info.strawberry_field.arguments,
            scalar_registry=schema.schema_converter.scalar_registry,
            config=schema.config,
        )

    async def roots(self, plan: OperationPlan) -> dict[str, Any]:
        if self.executor.one_statement:
            data = await self._one_statement(plan)
            if data is not None:
                return data
        roots = [arg for _, kind, arg in plan.roots if kind == RELATION]
        results = iter(await _all([self._root(root) for root in roots]))
        return {key: arg if kind == TYPENAME else next(results) for key, kind, arg in plan.roots}

    async def _one_statement(self, plan: OperationPlan) -> dict[str, Any] | None:
        """The answer built by the database in one statement; None where levels must do."""
        bind = self.context.session_factory.kw.get("bind")
        if bind is None or (json := json_flavour(bind.dialect)) is None:
            return None
        built = self._built(plan, json)
        if built is None:
            return None
        # One statement reads one snapshot on its own: no transaction to begin and roll back.
        async with bind.connect() as connection:
            autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
            text = (await autocommit.execute(built.statement)).scalar_one()
        data: dict[str, Any] = orjson.loads(text)
        if built.finish is None:
            return data
        try:
            return built.finish(data)  # type: ignore[no-any-return]
        except UnplannableError:
            return None

    def _built(self, plan: OperationPlan, json: JsonFlavour) -> _Built | None:
        statements = self.executor._statements
        try:
            variables = orjson.dumps(self.raw_variables or {}, option=orjson.OPT_SORT_KEYS)
        except TypeError:
            variables = None
        key = (id(plan), self.principal, variables)
        built = statements.get(key) if variables is not None else None
        if built is not None and built.plan is plan:
            statements.move_to_end(key)
            return built
        try:
            compiler = StatementCompiler(self.principal, self.pii, self.arguments, json)
            built = _Built(plan, *compiler.operation(plan))
        except UnplannableError:
            return None
        if variables is not None:
            statements[key] = built
            if len(statements) > self.executor.maxsize:
                statements.popitem(last=False)
        return built

    async def _root(self, root: ListPlan | LookupPlan) -> Any:
        if isinstance(root, ListPlan):
            return await self._list(root)
        return await self._lookup(root)

    async def _list(self, plan: ListPlan) -> dict[str, Any]:
        source = plan.kind.source
        arguments = self.arguments(plan.info, plan.node)
        order_by = arguments.pop("order_by", None)
        request, conditions = list_arguments(SPECS[source.type_key], self.principal, **arguments)
        page, count = await fetch_list(
            self.context.session_factory,
            source.type_key,
            request,
            order_by,
            source.default_order,
            conditions,
            plan.connection.columns,
        )
        counting = _counted(count()) if plan.connection.counts else None
        return (await self.connections(plan.connection, [page], counting))[0]

    async def _lookup(self, plan: LookupPlan) -> Any:
        arguments = self.arguments(plan.info, plan.node)
        if "ids" not in arguments:
            return (await self._nodes(plan, [arguments["id"]], "id"))[0]
        if len(arguments["ids"]) > MAX_NODES:
            raise UnplannableError("too many ids")  # graphql-core reports it
        return await self._nodes(plan, arguments["ids"], "ids")

    async def _nodes(self, plan: LookupPlan, ids: list[str], argument: str) -> list[Any]:
        targets = [node_target(self.principal, global_id, argument) for global_id in ids]
        tables: dict[str, list[Any]] = {}
        for target in targets:
            if target is not None:
                tables.setdefault(target[1], []).append(target[2])
        loaded = await _all(
            [self.loaders.by_id(SPECS[key].table).load_many(keys) for key, keys in tables.items()]
        )
        rows = {
            (key, row_id): row
            for (key, keys), found in zip(tables.items(), loaded, strict=True)
            for row_id, row in zip(keys, found, strict=True)
        }
        by_type: dict[str, list[Any]] = {}
        for target in targets:
            row = None if target is None else rows[target[1], target[2]]
            if row is not None:
                assert target is not None
                by_type.setdefault(target[0].type_name(), []).append(row)
        built: dict[Any, dict[str, Any]] = {}
        for type_name, type_rows in by_type.items():
            compiled = self.compiler.lookup_plan(plan, type_name)
            if compiled is None or not all(has_scope(self.principal, s) for s in compiled[1]):
                raise UnplannableError(type_name)
            objects = await self.objects(compiled[0], type_rows)
            built.update((id(row), obj) for row, obj in zip(type_rows, objects, strict=True))
        answers = []
        for target in targets:
            row = None if target is None else rows[target[1], target[2]]
            answers.append(None if row is None else built[id(row)])
        return answers

    async def objects(self, plan: ObjectPlan, rows: Sequence[Any]) -> list[dict[str, Any]]:
        """The answers for ``rows``, all of type ``plan.type_name``, relations fetched once."""
        if not rows:
            return []
        related = await _all([self._relation(relation, rows) for relation in plan.relations])
        pii = self.pii
        entries = plan.entries
        answers = []
        for index, row in enumerate(rows):
            answer: dict[str, Any] = {}
            for key, kind, arg in entries:
                if kind == VALUE:
                    answer[key] = arg(row)
                elif kind == RELATION:
                    answer[key] = related[arg][index]
                elif kind == TYPENAME:
                    answer[key] = arg
                else:
                    column, mask, leaf = arg
                    value = getattr(row, column)
                    answer[key] = leaf(value if pii else mask(value))
            answers.append(answer)
        return answers

    async def _relation(self, plan: RelationPlan, rows: Sequence[Any]) -> list[Any]:
        if isinstance(plan, ParentPlan):
            return await self._parents(plan, rows)
        return await self._children(plan, rows)

    async def _parents(self, plan: ParentPlan, rows: Sequence[Any]) -> list[Any]:
        kind = plan.kind
        keys = [getattr(row, kind.key) for row in rows]
        wanted = list(dict.fromkeys(key for key in keys if key is not None))
        loader = self.loaders.by_id(kind.table, tuple(sorted(plan.child.columns)))
        loaded = await loader.load_many(wanted) if wanted else []
        found = {key: row for key, row in zip(wanted, loaded, strict=True) if row is not None}
        built = dict(zip(found, await self.objects(plan.child, list(found.values())), strict=True))
        answers = [built.get(key) if key is not None else None for key in keys]
        if not kind.nullable and any(answer is None for answer in answers):
            raise UnplannableError("null in a non-null relation")
        return answers

    async def _children(self, plan: ChildrenPlan, rows: Sequence[Any]) -> list[Any]:
        source = plan.kind.source
        relation = source.relation
        arguments = self.arguments(plan.info, plan.node)
        order, request, filter_ = children_arguments(
            relation, source.default_order, self.principal, **arguments
        )
        keys = [row.id for row in rows]
        columns = plan.connection.columns
        fetches: list[Awaitable[Any]] = [
            self.loaders.pages(relation, order, request, filter_, columns, keys)
        ]
        if plan.connection.counts:
            fetches.append(self.loaders.counts(relation, filter_, keys))
        pages, *counts = await _all(fetches)
        counting = _given(counts[0]) if counts else None
        return await self.connections(plan.connection, pages, counting)

    async def connections(
        self,
        plan: ConnectionPlan,
        pages: Sequence[Page],
        counting: Awaitable[Sequence[int]] | None,
    ) -> list[dict[str, Any]]:
        """One connection answer per page; ``counting`` gives each page's `totalCount`."""
        rows = [row for page in pages for row in page.rows]
        object_plans = [arg for _, name, arg in plan.entries if name == "nodes"]
        object_plans += [
            node_plan
            for _, name, arg in plan.entries
            if name == "edges"
            for _, edge_name, node_plan in arg
            if edge_name == "node"
        ]
        awaitables: list[Awaitable[Any]] = [self.objects(p, rows) for p in object_plans]
        if counting is not None:
            awaitables.append(counting)
        results = await _all(awaitables)
        counts = results.pop() if counting is not None else None
        built = dict(zip(map(id, object_plans), results, strict=True))
        answers = []
        start = 0
        for index, page in enumerate(pages):
            end = start + len(page.rows)
            answer: dict[str, Any] = {}
            for key, name, arg in plan.entries:
                if name == "nodes":
                    answer[key] = built[id(arg)][start:end]
                elif name == "edges":
                    answer[key] = _edges(arg, page, built, start)
                elif name == "pageInfo":
                    answer[key] = _page_info(arg, page)
                elif name == "totalCount":
                    assert counts is not None
                    answer[key] = counts[index]
                else:
                    answer[key] = arg
            answers.append(answer)
            start = end
        return answers


async def _counted(count: Awaitable[int]) -> list[int]:
    return [await count]


async def _given(counts: list[int]) -> list[int]:
    return counts


def _edges(
    entries: list[tuple[str, str, Any]],
    page: Page,
    built: dict[int, list[dict[str, Any]]],
    start: int,
) -> list[dict[str, Any]]:
    edges = []
    for offset, row in enumerate(page.rows):
        edge: dict[str, Any] = {}
        for key, name, arg in entries:
            if name == "node":
                edge[key] = built[id(arg)][start + offset]
            elif name == "cursor":
                edge[key] = page.cursor(row)
            else:
                edge[key] = arg
        edges.append(edge)
    return edges


def _page_info(entries: list[tuple[str, str, Any]], page: Page) -> dict[str, Any]:
    rows = page.rows
    answer: dict[str, Any] = {}
    for key, name, arg in entries:
        if name == "hasNextPage":
            answer[key] = page.has_next_page
        elif name == "hasPreviousPage":
            answer[key] = page.has_previous_page
        elif name == "startCursor":
            answer[key] = page.cursor(rows[0]) if rows else None
        elif name == "endCursor":
            answer[key] = page.cursor(rows[-1]) if rows else None
        else:
            answer[key] = arg
    return answer
