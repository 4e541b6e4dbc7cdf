"""API client service: validation, hashed secrets, rotation, revocation and their audit."""

from __future__ import annotations

import json
import uuid

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kernel.errors import ErrorCode, ServiceError
from kernel.principal import Principal, PrincipalKind
from kernel.tables import row_to_dict, table_of
from kernel.unit_of_work import unit_of_work
from models import ApiClient, AuditEntry
from resolvers.identity.clients import (
    IssuedSecret,
    create_api_client,
    hash_secret,
    list_api_clients,
    revoke_api_client,
    rotate_api_client_secret,
    verify_secret,
)

ADMIN = Principal(subject="alice", kind=PrincipalKind.OPERATOR, role="admin")
Factory = async_sessionmaker[AsyncSession]


async def create(session_factory: Factory, name: str = "ERP", *scopes: str) -> IssuedSecret:
    async with unit_of_work(session_factory) as session:
        return await create_api_client(session, ADMIN, name, list(scopes or ["deals:read"]))


async def stored(session_factory: Factory, client_pk: uuid.UUID) -> ApiClient:
    async with session_factory() as session:
        client = await session.get(ApiClient, client_pk)
    assert client is not None
    return client


async def audit_log(session_factory: Factory) -> list[AuditEntry]:
    async with session_factory() as session:
        statement = select(AuditEntry).order_by(table_of(AuditEntry).c.position)
        return list((await session.execute(statement)).scalars())


def errors_of(exc: pytest.ExceptionInfo[ServiceError]) -> list[tuple[ErrorCode, tuple[str, ...]]]:
    return [(error.code, error.field) for error in exc.value.errors]


class TestCreateApiClient:
    async def test_stores_the_scopes_sorted_and_unique(self, session_factory: Factory) -> None:
        issued = await create(session_factory, "ERP", "deals:read", "customers:read", "deals:read")

        client = await stored(session_factory, issued.client.id)
        assert (client.name, client.scopes, client.created_by) == (
            "ERP",
            ["customers:read", "deals:read"],
            "operator:alice",
        )

    async def test_stores_no_secret_in_clear(self, session_factory: Factory) -> None:
        issued = await create(session_factory)

        row = row_to_dict(await stored(session_factory, issued.client.id), table_of(ApiClient))
        assert issued.secret not in json.dumps(row)
        assert verify_secret(issued.secret, row["secret_hash"])

    async def test_writes_an_audit_entry_without_the_secret(self, session_factory: Factory) -> None:
        issued = await create(session_factory)

        [entry] = await audit_log(session_factory)
        assert (entry.action, entry.actor, entry.entity_type, entry.entity_id) == (
            "api_client.created",
            "operator:alice",
            "api_client",
            issued.client.id,
        )
        assert entry.changes is not None
        assert entry.changes["scopes"] == {"old": None, "new": ["deals:read"]}
        assert issued.secret not in json.dumps(entry.changes)

    async def test_unknown_scope_and_empty_name_are_validation_errors(
        self, session_factory: Factory
    ) -> None:
        with pytest.raises(ServiceError) as exc:
            await create(session_factory, " ", "deals:read", "root")

        assert errors_of(exc) == [
            (ErrorCode.VALIDATION, ("name",)),
            (ErrorCode.VALIDATION, ("scopes", "1")),
        ]
        assert await audit_log(session_factory) == []

    async def test_needs_the_clients_manage_scope(self, session_factory: Factory) -> None:
        rep = Principal(subject="bob", kind=PrincipalKind.OPERATOR, role="sales_rep")

        with pytest.raises(ServiceError) as exc:
            async with unit_of_work(session_factory) as session:
                await create_api_client(session, rep, "ERP", ["deals:read"])

        assert errors_of(exc) == [(ErrorCode.FORBIDDEN, ())]


class TestRotateApiClientSecret:
    async def test_new_secret_verifies_and_the_old_one_does_not(
        self, session_factory: Factory
    ) -> None:
        issued = await create(session_factory)

        async with unit_of_work(session_factory) as session:
            rotated = await rotate_api_client_secret(session, ADMIN, issued.client.id)

        client = await stored(session_factory, issued.client.id)
        assert verify_secret(rotated.secret, client.secret_hash)
        assert not verify_secret(issued.secret, client.secret_hash)
        assert client.version == 2

    async def test_writes_an_audit_entry_without_either_secret(
        self, session_factory: Factory
    ) -> None:
        issued = await create(session_factory)

        async with unit_of_work(session_factory) as session:
            rotated = await rotate_api_client_secret(session, ADMIN, issued.client.id)

        entries = {entry.action: entry for entry in await audit_log(session_factory)}
        text = json.dumps(entries["api_client.rotated"].changes)
        assert entries["api_client.rotated"].entity_id == issued.client.id
        assert issued.secret not in text
        assert rotated.secret not in text

    async def test_a_revoked_client_is_invalid_state(self, session_factory: Factory) -> None:
        issued = await create(session_factory)
        async with unit_of_work(session_factory) as session:
            await revoke_api_client(session, ADMIN, issued.client.id)

        with pytest.raises(ServiceError) as exc:
            async with unit_of_work(session_factory) as session:
                await rotate_api_client_secret(session, ADMIN, issued.client.id)

        assert errors_of(exc) == [(ErrorCode.INVALID_STATE, ("id",))]


class TestRevokeApiClient:
    async def test_sets_revoked_at_and_writes_an_audit_entry(
        self, session_factory: Factory
    ) -> None:
        issued = await create(session_factory)

        async with unit_of_work(session_factory) as session:
            await revoke_api_client(session, ADMIN, issued.client.id)

        client = await stored(session_factory, issued.client.id)
        actions = [entry.action for entry in await audit_log(session_factory)]
        assert client.revoked_at is not None
        assert actions == ["api_client.created", "api_client.revoked"]

    async def test_an_unknown_client_is_not_found(self, session_factory: Factory) -> None:
        with pytest.raises(ServiceError) as exc:
            async with unit_of_work(session_factory) as session:
                await revoke_api_client(session, ADMIN, uuid.uuid4())

        assert errors_of(exc) == [(ErrorCode.NOT_FOUND, ("id",))]


class TestListApiClients:
    async def test_lists_every_client_by_name(self, session_factory: Factory) -> None:
        await create(session_factory, "Zeta")
        await create(session_factory, "Alpha")

        async with session_factory() as session:
            clients = await list_api_clients(session, ADMIN)

        assert [client.name for client in clients] == ["Alpha", "Zeta"]


class TestSecretHashes:
    def test_the_same_secret_hashes_differently_each_time(self) -> None:
        assert hash_secret("s3cret") != hash_secret("s3cret")

    def test_a_malformed_hash_verifies_nothing(self) -> None:
        assert not verify_secret("s3cret", "plain:s3cret")
