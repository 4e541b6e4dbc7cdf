"""`crm privacy export|erase`, `crm keys generate|rotate` and `crm purge`; production keys."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import update

from app.cli import main as cli
from app.crypto import MissingKeysError
from app.http.asgi import create_app
from kernel.tables import table_of
from kernel.unit_of_work import unit_of_work
from models import Contact, Customer, utcnow
from tests.factories import gid


async def test_export_prints_the_document_as_json(run: Any, make: Any) -> None:
    contact = await make.contact(first_name="Ada", email="ada@example.com")

    output = await run("privacy", "export", str(contact.id))

    document = json.loads(output)
    assert (document["contact"]["id"], document["contact"]["email"]) == (
        str(contact.id),
        "ada@example.com",
    )


async def test_export_takes_the_api_global_id_too(run: Any, make: Any) -> None:
    contact = await make.contact()

    output = await run("privacy", "export", gid("Contact", contact))

    assert json.loads(output)["contact"]["id"] == str(contact.id)


async def test_erase_anonymizes_the_contact(run: Any, make: Any, session_factory: Any) -> None:
    contact = await make.contact(first_name="Ada", email="ada@example.com")

    output = await run("privacy", "erase", str(contact.id))

    async with session_factory() as session:
        erased = await session.get(Contact, contact.id)
    assert output.strip() == f"erased {contact.id}"
    assert (erased.first_name, erased.email) == ("Erased", None)


async def test_erasing_twice_exits_with_the_error(run: Any, make: Any) -> None:
    contact = await make.contact()
    await run("privacy", "erase", str(contact.id))

    with pytest.raises(SystemExit, match="personal data was erased"):
        await run("privacy", "erase", str(contact.id))


async def test_keys_generate_prints_a_fernet_key(run: Any) -> None:
    output = await run("keys", "generate")

    Fernet(output.strip())  # raises unless it is a valid key


async def test_keys_rotate_prints_the_rows_rewritten(run: Any, make: Any) -> None:
    await make.contact(phone="+49 30 1")

    output = await run("keys", "rotate")

    assert "contacts.phone\t1 rewritten" in output.splitlines()


async def test_purge_prints_what_it_purged(run: Any, make: Any, session_factory: Any) -> None:
    customer = await make.customer()
    customers = table_of(Customer)
    async with unit_of_work(session_factory) as session:
        await session.execute(update(customers).values(deleted_at=utcnow() - timedelta(days=40)))

    output = await run("purge")

    assert json.loads(output) == {"purged": {"customers": 1}, "skipped": {}}
    async with session_factory() as session:
        assert await session.get(Customer, customer.id) is None


async def test_production_without_keys_refuses_to_run(
    run: Any, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    production = settings.model_copy(update={"crm_env": "production", "crm_secret_key": "p" * 40})
    monkeypatch.setattr(cli, "get_settings", lambda: production)

    with pytest.raises(SystemExit, match="CRM_ENCRYPTION_KEYS and CRM_HASH_KEY must be set"):
        await run("purge")


async def test_the_server_refuses_to_start_in_production_without_keys(settings: Any) -> None:
    production = settings.model_copy(update={"crm_env": "production", "crm_secret_key": "p" * 40})
    app = create_app(production)

    with pytest.raises(MissingKeysError):
        async with app.router.lifespan_context(app):
            pass
    await app.state.engine.dispose()
