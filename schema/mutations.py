"""Mutations: create, update, delete, restore and batch upsert, each with a typed payload."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.crud import (
    EntityRules,
    UpsertResult,
    create_entity,
    set_deleted,
    update_entity,
    upsert_by_external_id,
)
from kernel.errors import ErrorCode, InvalidArgumentError, ServiceError
from kernel.principal import Principal
from kernel.unit_of_work import unit_of_work
from schema.context import Info
from schema.errors import UserError, camel, user_errors
from schema.ids import decode_id_of
from schema.inputs import to_values
from schema.node import Node
from schema.permissions import can_write

MAX_BATCH = 100
Action = Callable[[AsyncSession, Principal], Awaitable[Any]]


def _payload_type(node: type[Node], field: str) -> Any:
    name = node.type_name()
    namespace: dict[str, Any] = {
        "__annotations__": {field: node | None, "errors": list[UserError]},
    }
    return strawberry.type(
        type(f"{name}Payload", (), namespace),
        description=f"The {name} as written, or the errors that stopped the write.",
    )


def _result_type(node: type[Node], field: str) -> Any:
    name = node.type_name()
    namespace: dict[str, Any] = {
        "__annotations__": {
            "index": int,
            "created": bool,
            field: node | None,
            "errors": list[UserError],
        },
    }
    return strawberry.type(
        type(f"{name}UpsertResult", (), namespace),
        description=f"One record of a batch upsert: the {name} written, or why it was not.",
    )


async def _apply(info: Info, action: Action) -> Any:
    async with unit_of_work(info.context.session_factory) as session:
        return await action(session, info.context.principal)


def entity_mutations(
    rules: EntityRules[Any],
    node: type[Node],
    create_input: Any,
    update_input: Any,
    upsert: bool = False,
) -> dict[str, Any]:
    """The mutation fields of one entity, named after its schema type."""
    name = node.type_name()
    field = name[0].lower() + name[1:]
    payload = _payload_type(node, field)
    allowed = can_write(rules.entity)

    async def run(info: Info, action: Action, prefix: tuple[str, ...] = ("input",)) -> Any:
        try:
            row = await _apply(info, action)
        except ServiceError as exc:
            return payload(**{field: None, "errors": user_errors(exc.errors, prefix)})
        except InvalidArgumentError as exc:
            error = UserError(code=ErrorCode.VALIDATION, message=str(exc), field=_path(exc))
            return payload(**{field: None, "errors": [error]})
        return payload(**{field: node.from_row(row), "errors": []})

    def row_id(global_id: str) -> Any:
        try:
            return decode_id_of(global_id, name)
        except InvalidArgumentError as exc:
            raise ServiceError.single(ErrorCode.NOT_FOUND, str(exc), "id") from exc

    async def create(info: Info, input: Any) -> Any:
        return await run(info, lambda s, p: create_entity(s, p, rules, to_values(input)))

    async def update(
        info: Info,
        id: strawberry.ID,
        input: Any,
        expected_version: int | None = None,
    ) -> Any:
        return await run(
            info,
            lambda s, p: update_entity(s, p, rules, row_id(id), to_values(input), expected_version),
        )

    async def delete(info: Info, id: strawberry.ID, expected_version: int | None = None) -> Any:
        return await run(
            info, lambda s, p: set_deleted(s, p, rules, row_id(id), True, expected_version)
        )

    async def restore(info: Info, id: strawberry.ID) -> Any:
        return await run(info, lambda s, p: set_deleted(s, p, rules, row_id(id), False))

    create.__annotations__ = {"info": Info, "input": create_input, "return": payload}
    update.__annotations__ = {
        "info": Info,
        "id": strawberry.ID,
        "input": update_input,
        "expected_version": int | None,
        "return": payload,
    }
    fields = {
        f"create_{_snake(name)}": strawberry.mutation(
            resolver=create, description=f"Create a {name}.", permission_classes=allowed
        ),
        f"update_{_snake(name)}": strawberry.mutation(
            resolver=update,
            permission_classes=allowed,
            description=f"Change the given fields of a {name}. With `expectedVersion`, "
            "refuse with CONFLICT if it was changed meanwhile.",
        ),
    }
    if rules.soft_deletable:
        delete.__annotations__ = {
            "info": Info,
            "id": strawberry.ID,
            "expected_version": int | None,
            "return": payload,
        }
        restore.__annotations__ = {"info": Info, "id": strawberry.ID, "return": payload}
        fields[f"delete_{_snake(name)}"] = strawberry.mutation(
            resolver=delete,
            description=f"Move a {name} to the trash (restorable).",
            permission_classes=allowed,
        )
        fields[f"restore_{_snake(name)}"] = strawberry.mutation(
            resolver=restore,
            description=f"Bring a {name} back from the trash.",
            permission_classes=allowed,
        )
    if upsert:
        fields[f"upsert_{_snake(name)}s"] = _upsert_field(rules, node, field, create_input)
    return fields


def _upsert_field(rules: EntityRules[Any], node: type[Node], field: str, item_input: Any) -> Any:
    name = node.type_name()
    result = _result_type(node, field)

    async def upsert(info: Info, inputs: list[Any]) -> list[Any]:
        if len(inputs) > MAX_BATCH:
            error = UserError(
                code=ErrorCode.LIMIT_EXCEEDED,
                message=f"at most {MAX_BATCH} records per call",
                field=["inputs"],
            )
            return [result(index=0, created=False, **{field: None}, errors=[error])]
        items = []
        for item in inputs:
            try:
                items.append(to_values(item))
            except ServiceError as exc:
                items.append(exc)
        outcomes = await _apply(info, lambda s, p: _upsert_valid(s, p, rules, items))
        return [
            result(
                index=outcome.index,
                created=outcome.created,
                errors=user_errors(list(outcome.errors), ("inputs", str(outcome.index))),
                **{field: node.from_optional(outcome.row)},
            )
            for outcome in outcomes
        ]

    upsert.__annotations__ = {"info": Info, "inputs": list[item_input], "return": list[result]}
    return strawberry.mutation(
        resolver=upsert,
        permission_classes=can_write(rules.entity),
        description=f"Create or update up to {MAX_BATCH} {name}s by `externalId`. Each record "
        "succeeds or fails on its own; a failed record changes nothing.",
    )


async def _upsert_valid(
    session: AsyncSession, principal: Principal, rules: EntityRules[Any], items: list[Any]
) -> list[Any]:
    valid = [(index, item) for index, item in enumerate(items) if isinstance(item, dict)]
    done = await upsert_by_external_id(session, principal, rules, [item for _, item in valid])
    outcomes: dict[int, Any] = {
        valid[outcome.index][0]: UpsertResult(
            index=valid[outcome.index][0],
            row=outcome.row,
            created=outcome.created,
            errors=outcome.errors,
        )
        for outcome in done
    }
    for index, item in enumerate(items):
        if isinstance(item, ServiceError):
            outcomes[index] = UpsertResult(index=index, errors=item.errors)
    return [outcomes[index] for index in range(len(items))]


def _path(exc: InvalidArgumentError) -> list[str]:
    return [exc.argument] if exc.argument == "id" else ["input", camel(exc.argument)]


def _snake(name: str) -> str:
    return "".join("_" + c.lower() if c.isupper() else c for c in name).lstrip("_")
