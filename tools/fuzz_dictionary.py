"""Real ids for the fuzzer: without them nearly every `id` argument is random text, so most
operations only ever answer NOT_FOUND and the code behind them never runs.

The ids are read from the seeded server (every root list, one level of relations below it);
each ID-typed argument of a root field, at any depth of its input objects, is bound to the ids
of the type its name points to (`customerId` -> Customer, `updateDeal(id:)` -> Deal), or to all
ids. Written as a schemathesis.toml fuzz-dictionary configuration.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import graphql
import httpx

PROBABILITY = 0.75  # the rest stays random: unknown and malformed ids are inputs too
IDS_PER_TYPE = 10
ANY = "AnyId"
# Argument names that do not name their type.
ALIASES = {
    "owner": "User",
    "assignee": "User",
    "author": "User",
    "actor": "User",
    "manager": "User",
}


def _unwrap(type_: graphql.GraphQLType) -> graphql.GraphQLNamedType:
    while isinstance(type_, graphql.GraphQLWrappingType):
        type_ = type_.of_type
    assert isinstance(type_, graphql.GraphQLNamedType)
    return type_


def _required_args(field: graphql.GraphQLField) -> bool:
    return any(graphql.is_required_argument(arg) for arg in field.args.values())


def _node_type(type_: graphql.GraphQLType) -> graphql.GraphQLObjectType | None:
    """The node type of a connection type, or None."""
    named = _unwrap(type_)
    if not isinstance(named, graphql.GraphQLObjectType) or "nodes" not in named.fields:
        return None
    node = _unwrap(named.fields["nodes"].type)
    return node if isinstance(node, graphql.GraphQLObjectType) and "id" in node.fields else None


def _relations(node: graphql.GraphQLObjectType) -> Iterator[str]:
    """Selections of a node's to-one relations and connections that carry ids."""
    for name, field in node.fields.items():
        if _required_args(field):
            continue
        target = _unwrap(field.type)
        if _node_type(field.type) is not None:
            first = "(first: 3)" if "first" in field.args else ""
            yield f"{name}{first} {{ nodes {{ id __typename }} }}"
        elif isinstance(target, graphql.GraphQLObjectType) and "id" in target.fields:
            yield f"{name} {{ id __typename }}"


def list_queries(schema: graphql.GraphQLSchema) -> dict[str, str]:
    """One query per root list, keyed by the root field."""
    assert schema.query_type is not None
    queries: dict[str, str] = {}
    for name, field in schema.query_type.fields.items():
        node = _node_type(field.type)
        if node is None or _required_args(field) or "first" not in field.args:
            continue
        nested = " ".join(_relations(node))
        queries[name] = (
            f"{{ {name}(first: {IDS_PER_TYPE}) {{ nodes {{ id __typename {nested} }} }} }}"
        )
    return queries


def _collect(value: object, into: dict[str, set[str]]) -> None:
    if isinstance(value, dict):
        if isinstance(value.get("id"), str) and isinstance(value.get("__typename"), str):
            into.setdefault(value["__typename"], set()).add(value["id"])
        for item in value.values():
            _collect(item, into)
    elif isinstance(value, list):
        for item in value:
            _collect(item, into)


def read_ids(url: str, token: str, schema: graphql.GraphQLSchema) -> dict[str, list[str]]:
    """Ids per type name, read from the server as ``token``'s principal."""
    found: dict[str, set[str]] = {}
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(headers=headers, timeout=30.0) as client:
        for query in list_queries(schema).values():
            response = client.post(url, json={"query": query})
            _collect(response.json().get("data"), found)
    ids = {name: sorted(values)[: IDS_PER_TYPE * 3] for name, values in found.items()}
    ids[ANY] = sorted({i for values in ids.values() for i in values})
    return ids


def _id_paths(
    type_: graphql.GraphQLInputType, path: tuple[str, ...], in_filter: bool
) -> Iterator[tuple[str, ...]]:
    """Paths to the ID scalars below an argument; filters only at their first level (the
    relation filters below recurse through every type)."""
    inner = type_.of_type if isinstance(type_, graphql.GraphQLNonNull) else type_
    if isinstance(inner, graphql.GraphQLList):
        yield from _id_paths(inner.of_type, (*path[:-1], f"{path[-1]}[*]"), in_filter)
    elif isinstance(inner, graphql.GraphQLScalarType) and inner.name == "ID":
        yield path
    elif isinstance(inner, graphql.GraphQLInputObjectType):
        is_filter = inner.name.endswith("Filter") and inner.name != "IDFilter"
        if in_filter and is_filter:
            return
        for name, field in inner.fields.items():
            yield from _id_paths(field.type, (*path, name), in_filter or is_filter)


def dictionary_for(field_name: str, path: tuple[str, ...], types: set[str]) -> str:
    """The dictionary an ID argument draws from: the type its name (or its field's) names."""
    names = [p.removesuffix("[*]") for p in path]
    leaf = names[-1]
    if leaf in ("eq", "ne", "in", "notIn") and len(names) > 1:  # an IDFilter: named by its field
        leaf = names[-2]
    if leaf in ("id", "ids"):
        named = [t for t in types if t.lower() in field_name.lower()]
        return max(named, key=len) if named else ANY
    stem = leaf.removesuffix("Ids").removesuffix("Id")
    by_lower = {t.lower(): t for t in types}
    return ALIASES.get(stem) or by_lower.get(stem.lower(), ANY)


def bindings(schema: graphql.GraphQLSchema, types: set[str]) -> dict[str, str]:
    """`<Type>.<field>.<argument path>` -> dictionary, for every ID argument of a root field."""
    found: dict[str, str] = {}
    for root in (schema.query_type, schema.mutation_type):
        if root is None:
            continue
        for field_name, field in root.fields.items():
            for arg_name, arg in field.args.items():
                for path in _id_paths(arg.type, (arg_name,), in_filter=False):
                    key = ".".join((root.name, field_name, *path))
                    found[key] = dictionary_for(field_name, path, types)
    return found


def write_config(target: Path, ids: dict[str, list[str]], schema: graphql.GraphQLSchema) -> int:
    """Write the schemathesis.toml; the number of bound arguments."""
    lines = []
    for name, values in sorted(ids.items()):
        if values:
            lines += [f"[dictionaries.{name}]", f"values = {json.dumps(values)}", ""]
    known = {name for name, values in ids.items() if values}
    bound = {k: v for k, v in bindings(schema, known - {ANY}).items() if v in known}
    lines.append("[parameters]")
    lines += [
        f'"{key}" = {{ dictionary = "{name}", probability = {PROBABILITY} }}'
        for key, name in sorted(bound.items())
    ]
    target.write_text("\n".join(lines) + "\n")
    return len(bound)
