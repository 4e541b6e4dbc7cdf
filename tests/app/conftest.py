"""Fixtures of the app tests: the `crm` command run in-process."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from app.cli import main as cli


@pytest.fixture
def run(settings: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Any:
    """Runs `crm ARGS...` (in a thread: it runs its own event loop) and returns its stdout."""
    monkeypatch.setattr(cli, "get_settings", lambda: settings)

    async def crm(*args: str) -> str:
        await asyncio.to_thread(cli.main, list(args))
        return capsys.readouterr().out

    return crm
