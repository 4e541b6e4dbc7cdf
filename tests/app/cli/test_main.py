"""The `crm` command's token and seed subcommands."""

import asyncio
from typing import Any

import pytest
from sqlalchemy import func, select

from app.cli import main as cli
from app.db import create_engine
from app.http.auth import authenticate
from models import Customer


def test_token_prints_a_bearer_token_for_the_role(
    capsys: pytest.CaptureFixture[str], settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cli, "get_settings", lambda: settings)

    cli.main(["token", "--role", "support"])

    principal = authenticate(settings, f"Bearer {capsys.readouterr().out.strip()}")
    assert (principal.kind.value, principal.role) == ("operator", "support")


def test_token_for_an_unknown_user_fails(settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli, "get_settings", lambda: settings)

    with pytest.raises(SystemExit, match="no user"):
        cli.main(["token", "--user", "nobody@example.com"])


def test_seed_inserts_the_requested_number_of_customers(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cli, "get_settings", lambda: settings)

    cli.main(["seed", "--customers", "7"])

    async def count() -> int:
        engine = create_engine(settings.database_url)  # its own loop: not the suite's engine
        async with engine.connect() as connection:
            total = await connection.scalar(select(func.count()).select_from(Customer))
        await engine.dispose()
        return int(total or 0)

    assert asyncio.run(count()) == 7
