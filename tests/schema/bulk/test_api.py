"""`startImport` (multipart upload), `importJob`, `startExport` and the download links."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.http.auth import issue_token
from app.jobs.bulk import run_bulk_jobs_once
from app.settings import Settings
from kernel.principal import Principal, PrincipalKind
from kernel.unit_of_work import unit_of_work
from models import utcnow
from models.bulk import ExportJob

START_IMPORT = """
mutation($file: Upload!, $input: StartImportInput!) {
  startImport(file: $file, input: $input) {
    importJob { id status }
    errors { code message field }
  }
}"""
IMPORT_JOB = """
query($id: ID!) {
  importJob(id: $id) {
    status rowsProcessed totalRows createdCount rejectedCount progress errorReportUrl
    errors(first: 1) { nodes { rowNumber column code message } endCursor hasNextPage }
  }
}"""
START_EXPORT = """
mutation($input: StartExportInput!) {
  startExport(input: $input) { exportJob { id status } downloadUrl errors { code field } }
}"""


@pytest.fixture(autouse=True)
def _files(settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "files_dir", tmp_path / "files")


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


async def upload(
    http: httpx.AsyncClient, token: str, content: bytes, input_: dict[str, Any]
) -> dict[str, Any]:
    operations = {"query": START_IMPORT, "variables": {"file": None, "input": input_}}
    response = await http.post(
        "/graphql",
        data={"operations": json.dumps(operations), "map": json.dumps({"0": ["variables.file"]})},
        files={"0": ("people.csv", content, "text/csv")},
        headers=bearer(token),
    )
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def test_uploaded_file_is_imported_and_its_rejected_rows_are_queryable(
    http: httpx.AsyncClient,
    gql: Any,
    admin_token: str,
    settings: Settings,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    body = await upload(
        http, admin_token, b"Company,External ID\nAcme,A1\n,A2\nBeta,A3\n", {"type": "CUSTOMERS"}
    )
    job_id = body["data"]["startImport"]["importJob"]["id"]

    await run_bulk_jobs_once(settings, session_factory)
    job = (await gql(IMPORT_JOB, {"id": job_id}))["importJob"]

    assert job["status"] == "COMPLETED"
    assert (job["totalRows"], job["createdCount"], job["rejectedCount"]) == (3, 2, 1)
    assert job["progress"] == 1.0
    assert job["errors"]["nodes"] == [
        {"rowNumber": 2, "column": "Company", "code": "VALIDATION", "message": "Field required"}
    ]
    report = await http.get(job["errorReportUrl"], headers=bearer(admin_token))
    assert report.status_code == 200
    assert report.text.splitlines()[1] == "2,Company,VALIDATION,Field required"


async def test_start_import_needs_the_data_import_scope(
    http: httpx.AsyncClient, settings: Settings
) -> None:
    rep = Principal(subject="rep", kind=PrincipalKind.OPERATOR, role="sales_rep")

    body = await upload(http, issue_token(settings, rep), b"name\nAcme\n", {"type": "CUSTOMERS"})

    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_start_import_also_needs_the_types_write_scope(
    http: httpx.AsyncClient, settings: Settings
) -> None:
    reader = Principal(
        subject="r",
        kind=PrincipalKind.OPERATOR,
        role="read_only",
        scopes=frozenset({"data:import"}),
    )

    body = await upload(http, issue_token(settings, reader), b"name\nAcme\n", {"type": "CUSTOMERS"})

    assert body["data"]["startImport"]["errors"][0]["code"] == "FORBIDDEN"


async def test_export_link_downloads_once_completed_and_masks_pii_without_the_scope(
    http: httpx.AsyncClient,
    settings: Settings,
    session_factory: async_sessionmaker[AsyncSession],
    make: Any,
) -> None:
    await make.contact(first_name="Ana", last_name="Lee", email="ana@acme.com")
    await make.contact(first_name="Bo", last_name="Kim", email="bo@acme.com")
    reader = Principal(
        subject="r",
        kind=PrincipalKind.OPERATOR,
        role="read_only",
        scopes=frozenset({"data:export"}),
    )
    variables = {"input": {"type": "CONTACTS", "filter": {"lastName": {"eq": "Lee"}}}}
    response = await http.post(
        "/graphql",
        json={"query": START_EXPORT, "variables": variables},
        headers=bearer(issue_token(settings, reader)),
    )
    url = response.json()["data"]["startExport"]["downloadUrl"]

    early = await http.get(url)
    await run_bulk_jobs_once(settings, session_factory)
    done = await http.get(url)
    wrong = await http.get(url[:-4] + "xxxx")

    assert early.status_code == 409
    assert done.status_code == 200
    lines = done.text.splitlines()
    assert len(lines) == 2
    assert "a***@acme.com" in lines[1]
    assert "ana@acme.com" not in done.text
    assert wrong.status_code == 404


async def test_expired_export_link_is_gone(
    http: httpx.AsyncClient,
    gql: Any,
    settings: Settings,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    started = (await gql(START_EXPORT, {"input": {"type": "CUSTOMERS"}}))["startExport"]
    await run_bulk_jobs_once(settings, session_factory)
    async with unit_of_work(session_factory) as session:
        await session.execute(update(ExportJob).values(expires_at=utcnow() - timedelta(seconds=1)))

    response = await http.get(started["downloadUrl"])

    assert response.status_code == 410


async def test_export_with_an_invalid_filter_is_refused(gql: Any) -> None:
    variables = {"input": {"type": "CUSTOMERS", "filter": {"nme": {"eq": "x"}}}}

    payload = (await gql(START_EXPORT, variables))["startExport"]

    assert payload["exportJob"] is None
    assert payload["errors"] == [{"code": "VALIDATION", "field": ["input", "filter"]}]
