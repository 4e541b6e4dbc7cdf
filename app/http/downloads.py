"""Downloads of bulk files: an export by its link's token (until the link expires), and an
import's error report with the API's bearer token."""

from __future__ import annotations

import asyncio
import hmac
import uuid
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response

from app.http.auth import AuthenticationError, authenticate_request
from app.settings import Settings
from kernel.permissions import Scope, has_scope
from models import utcnow
from models.bulk import ExportJob, ImportJob, JobStatus
from resolvers.bulk.imports import error_report_path
from resolvers.bulk.jobs import token_hash
from resolvers.bulk.queries import may_see

MEDIA_TYPES = {"csv": "text/csv; charset=utf-8", "jsonl": "application/x-ndjson"}


def _error(status: int, message: str, **headers: str) -> Response:
    return JSONResponse({"error": message}, status_code=status, headers=headers or None)


def _uuid(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text)
    except ValueError:
        return None


class Downloads:
    """`GET /exports/{id}?token=...` and `GET /imports/{id}/errors.csv`."""

    def __init__(
        self, settings: Settings, session_factory: async_sessionmaker[AsyncSession]
    ) -> None:
        self.settings = settings
        self.session_factory = session_factory

    async def export_file(self, request: Request) -> Response:
        """404 for an unknown job or a wrong token, 409 while running, 410 once expired."""
        job_id = _uuid(request.path_params["job_id"])
        token = request.query_params.get("token", "")
        job = None
        if job_id is not None:
            async with self.session_factory() as session:
                job = await session.get(ExportJob, job_id)
        if job is None or not job.token_hash or not token:
            return _error(404, "no such export")
        if not hmac.compare_digest(job.token_hash, token_hash(token)):
            return _error(404, "no such export")
        if job.status in (JobStatus.PENDING, JobStatus.RUNNING):
            return _error(409, "the export is not ready yet", **{"Retry-After": "5"})
        if job.status != JobStatus.COMPLETED or job.file_path is None:
            return _error(404, f"the export {job.status}")
        if job.expires_at is None or job.expires_at <= utcnow():
            return _error(410, "the download link has expired")
        path = Path(job.file_path)
        if not await asyncio.to_thread(path.is_file):
            return _error(410, "the export file is gone")
        name = f"{job.entity_type}-{job.finished_at:%Y%m%d-%H%M%S}.{job.file_format}"
        return FileResponse(path, media_type=MEDIA_TYPES[job.file_format], filename=name)

    async def import_errors(self, request: Request) -> Response:
        """The error report of an import the caller started (admins: any)."""
        try:
            principal = await authenticate_request(
                self.settings, self.session_factory, request.headers.get("authorization")
            )
        except AuthenticationError as exc:
            return _error(401, str(exc), **{"WWW-Authenticate": "Bearer"})
        if not has_scope(principal, Scope.DATA_IMPORT):
            return _error(403, "requires the data:import scope")
        job_id = _uuid(request.path_params["job_id"])
        job = None
        if job_id is not None:
            async with self.session_factory() as session:
                job = await session.get(ImportJob, job_id)
        if job is None or not may_see(principal, job.requested_by):
            return _error(404, "no such import")
        path = error_report_path(self.settings.files_dir, job.id)
        if job.status != JobStatus.COMPLETED or not await asyncio.to_thread(path.is_file):
            return _error(404, "the import has no error report (yet)")
        return FileResponse(path, media_type=MEDIA_TYPES["csv"], filename=f"{job.id}-errors.csv")
