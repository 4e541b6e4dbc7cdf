"""An `Idempotency-Key` on a `startImport` upload: the same file again is answered from the
first request (one job, no second file kept); another file under the key is refused."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.settings import Settings
from models.bulk import ImportJob

START_IMPORT = """
mutation($file: Upload!, $input: StartImportInput!) {
  startImport(file: $file, input: $input) { importJob { id } errors { code } }
}"""


@pytest.fixture(autouse=True)
def _files(settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "files_dir", tmp_path / "files")


async def _upload(http: httpx.AsyncClient, token: str, key: str, content: bytes) -> httpx.Response:
    operations = {
        "query": START_IMPORT,
        "variables": {"file": None, "input": {"type": "CUSTOMERS"}},
    }
    return await http.post(
        "/graphql",
        data={"operations": json.dumps(operations), "map": json.dumps({"0": ["variables.file"]})},
        files={"0": ("accounts.csv", content, "text/csv")},
        headers={"authorization": f"Bearer {token}", "idempotency-key": key},
    )


async def _jobs(factory: async_sessionmaker[AsyncSession]) -> int:
    async with factory() as session:
        return int(await session.scalar(select(func.count()).select_from(ImportJob)) or 0)


def _uploads(settings: Settings) -> list[Path]:
    return sorted((settings.files_dir / "uploads").iterdir())


async def test_retried_upload_with_the_same_key_is_replayed_not_imported_twice(
    http: httpx.AsyncClient,
    admin_token: str,
    settings: Settings,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    before = await _jobs(session_factory)
    first = await _upload(http, admin_token, "import-1", b"Company,External ID\nAcme,A1\n")
    again = await _upload(http, admin_token, "import-1", b"Company,External ID\nAcme,A1\n")

    assert first.status_code == again.status_code == 200
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()
    assert await _jobs(session_factory) == before + 1
    assert len(_uploads(settings)) == 1


async def test_other_file_under_a_used_key_is_refused_and_not_kept(
    http: httpx.AsyncClient, admin_token: str, settings: Settings
) -> None:
    await _upload(http, admin_token, "import-2", b"Company,External ID\nAcme,A1\n")
    other = await _upload(http, admin_token, "import-2", b"Company,External ID\nBeta,B1\n")

    assert other.status_code == 422
    assert other.json()["errors"][0]["extensions"]["code"] == "IDEMPOTENCY_KEY_REUSED"
    assert len(_uploads(settings)) == 1
