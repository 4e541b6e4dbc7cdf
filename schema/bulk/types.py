"""Bulk import (file upload, GraphQL multipart request spec) and export jobs."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime
from enum import Enum
from pathlib import Path
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.file_uploads import Upload
from strawberry.scalars import JSON

from kernel.errors import ErrorCode, ServiceError
from kernel.permissions import Scope
from kernel.repository import authorize_filter
from models.bulk import ExportJob as ExportJobRow
from models.bulk import FileFormat as FileFormatModel
from models.bulk import ImportJob as ImportJobRow
from models.bulk import JobStatus as JobStatusModel
from resolvers.bulk import jobs, queries
from resolvers.bulk.entities import ENTITY_IMPORTS
from resolvers.bulk.export_filters import filter_from_json as filter_from_json
from resolvers.bulk.exports import EXPORT_TYPES
from resolvers.bulk.formats import StoredFile, format_of
from resolvers.graph import SPECS
from schema.context import Info
from schema.errors import UserError
from schema.ids import encode_id
from schema.permissions import requires
from schema.services import node_pk, run_service

JobStatus = strawberry.enum(JobStatusModel, name="JobStatus", description="Where a job is.")
FileFormat = strawberry.enum(FileFormatModel, name="FileFormat", description="A file's format.")
ImportTypeModel = Enum(  # type: ignore[misc]
    "ImportTypeModel", {name.upper(): name for name in ENTITY_IMPORTS}
)
ExportTypeModel = Enum(  # type: ignore[misc]
    "ExportTypeModel", {name.upper(): name for name in EXPORT_TYPES}
)
ImportType = strawberry.enum(ImportTypeModel, name="ImportType", description="What a file imports.")
ExportType = strawberry.enum(
    ExportTypeModel, name="ExportType", description="What an export contains."
)


@strawberry.type(name="ImportRowError", description="Why a row of an import was rejected.")
class ImportRowErrorType:
    row_number: int = strawberry.field(description="1-based record number; the header is 0.")
    column: str = strawberry.field(description="The file column, empty for the whole row.")
    code: str
    message: str


@strawberry.type(description="A page of rejected rows, in file order.")
class ImportRowErrorPage:
    nodes: list[ImportRowErrorType]
    end_cursor: str | None
    has_next_page: bool


def _cursor(row: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps([row.row_number, row.column]).encode()).decode()


def _after(cursor: str | None) -> tuple[int, str] | None:
    if cursor is None:
        return None
    try:
        row_number, column = json.loads(base64.urlsafe_b64decode(cursor))
        return int(row_number), str(column)
    except (binascii.Error, ValueError, TypeError) as exc:
        raise GraphQLError("invalid cursor", extensions={"code": "BAD_USER_INPUT"}) from exc


@strawberry.type(description="An import of one file: progress, counts and rejected rows.")
class ImportJob:
    id: strawberry.ID
    type: str = strawberry.field(description="customers, contacts, deals, ...")
    status: JobStatus
    dry_run: bool = strawberry.field(description="Validated only: no records were written.")
    file_name: str | None
    file_format: FileFormat
    rows_processed: int = strawberry.field(description="Records read and committed so far.")
    total_rows: int | None = strawberry.field(description="Set when the job completes.")
    created_count: int
    updated_count: int
    unchanged_count: int
    rejected_count: int
    error: str | None = strawberry.field(description="Why the job failed, if it did.")
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    row: strawberry.Private[Any]

    @classmethod
    def from_row(cls, row: ImportJobRow) -> ImportJob:
        return cls(
            id=strawberry.ID(encode_id("ImportJob", row.id)),
            type=row.entity_type,
            status=row.status,
            dry_run=row.dry_run,
            file_name=row.file_name,
            file_format=row.file_format,
            rows_processed=row.committed_rows,
            total_rows=row.total_rows,
            created_count=row.created_count,
            updated_count=row.updated_count,
            unchanged_count=row.unchanged_count,
            rejected_count=row.rejected_count,
            error=row.error,
            created_at=row.created_at,
            started_at=row.started_at,
            finished_at=row.finished_at,
            row=row,
        )

    @strawberry.field(description="Share of the file read and committed, from 0 to 1.")
    def progress(self) -> float:
        if self.row.status == JobStatusModel.COMPLETED:
            return 1.0
        try:
            size = Path(self.row.file_path).stat().st_size
        except OSError:
            return 0.0
        return min(1.0, self.row.committed_offset / size) if size else 0.0

    @strawberry.field(description="The rejected rows (row, column, code, reason), in file order.")
    async def errors(
        self, info: Info, first: int = 50, after: str | None = None
    ) -> ImportRowErrorPage:
        first = max(1, min(first, 500))
        async with info.context.session_factory() as session:
            rows, more = await queries.import_errors_page(
                session, self.row.id, first, _after(after)
            )
        return ImportRowErrorPage(
            nodes=[
                ImportRowErrorType(
                    row_number=r.row_number, column=r.column, code=r.code, message=r.message
                )
                for r in rows
            ],
            end_cursor=_cursor(rows[-1]) if rows else None,
            has_next_page=more,
        )

    @strawberry.field(
        description="Where the error report (CSV: row, column, code, reason) is downloaded, "
        "with this API's bearer token, once the job completed with rejected rows."
    )
    def error_report_url(self) -> str | None:
        if self.row.status != JobStatusModel.COMPLETED or not self.row.rejected_count:
            return None
        return f"/imports/{self.row.id}/errors.csv"


@strawberry.type(description="An export of one type to a file.")
class ExportJob:
    id: strawberry.ID
    type: str
    status: JobStatus
    file_format: FileFormat
    row_count: int
    error: str | None
    created_at: datetime
    finished_at: datetime | None
    expires_at: datetime | None = strawberry.field(
        description="Until when the download link works (set when the export completes)."
    )

    @classmethod
    def from_row(cls, row: ExportJobRow) -> ExportJob:
        return cls(
            id=strawberry.ID(encode_id("ExportJob", row.id)),
            type=row.entity_type,
            status=row.status,
            file_format=row.file_format,
            row_count=row.row_count,
            error=row.error,
            created_at=row.created_at,
            finished_at=row.finished_at,
            expires_at=row.expires_at,
        )


@strawberry.input(description="Which file column feeds which field.")
class ColumnMappingInput:
    column: str
    field: str | None = strawberry.field(
        default=None, description="A field (snake_case or camelCase); null ignores the column."
    )


@strawberry.input(description="How to import an uploaded file.")
class StartImportInput:
    type: ImportType
    dry_run: bool = strawberry.field(default=False, description="Validate only; write nothing.")
    match: str | None = strawberry.field(
        default=None,
        description="Match existing records by: external_id (default), email (contacts), "
        "number (purchases' default), natural (interactions).",
    )
    mapping: list[ColumnMappingInput] | None = strawberry.field(
        default=None, description="Explicit columns; the others map by name or alias."
    )
    create_customers: bool = strawberry.field(
        default=False, description="Create the customer a record names if it does not exist."
    )
    per_record_events: bool = strawberry.field(
        default=False, description="Also record `<type>.created/updated` per record."
    )
    file_format: FileFormat | None = strawberry.field(
        default=None, description="Default: JSON Lines for .jsonl/.ndjson names, else CSV."
    )


@strawberry.type(description="The import job started, or why not.")
class StartImportPayload:
    import_job: ImportJob | None
    errors: list[UserError]


@strawberry.input(description="What to export.")
class StartExportInput:
    type: ExportType
    file_format: FileFormat = FileFormatModel.CSV
    filter: JSON | None = strawberry.field(
        default=None,
        description="The type's filter input as JSON (e.g. a `CustomerFilter`), as in the lists.",
    )


@strawberry.type(description="The export job started, or why not.")
class StartExportPayload:
    export_job: ExportJob | None
    download_url: str | None = strawberry.field(
        description="Shown once: works when the job has completed, until its `expiresAt`."
    )
    errors: list[UserError]


def _value(enum_value: Any) -> str:
    return str(getattr(enum_value, "value", enum_value))


@strawberry.type
class BulkMutation:
    @strawberry.mutation(
        description="Import an uploaded CSV or JSON Lines file (multipart request). Needs "
        "data:import and the type's write scope; the job runs in the background.",
        permission_classes=[requires(Scope.DATA_IMPORT)],
    )
    async def start_import(
        self, info: Info, file: Upload, input: StartImportInput
    ) -> StartImportPayload:
        if not isinstance(file, StoredFile):
            raise GraphQLError(
                "send the file as a multipart request", extensions={"code": "BAD_USER_INPUT"}
            )
        mapping = {m.column: m.field for m in input.mapping} if input.mapping else None
        options = jobs.import_options(
            input.match, mapping, input.create_customers, input.per_record_events
        )
        file_format = input.file_format or format_of(file.file_name)

        async def start(session: Any, principal: Any) -> ImportJobRow:
            return await jobs.create_import_job(
                session,
                principal,
                _value(input.type),
                file.path,
                file.file_name,
                FileFormatModel(file_format),
                options,
                input.dry_run,
            )

        result = await run_service(info, start)
        if isinstance(result, list):
            file.path.unlink(missing_ok=True)
            return StartImportPayload(import_job=None, errors=result)
        return StartImportPayload(import_job=ImportJob.from_row(result), errors=[])

    @strawberry.mutation(
        description="Export a type to CSV or JSON Lines with a list's filter. Needs data:export "
        "and the type's read scope; personal data is masked without pii:read.",
        permission_classes=[requires(Scope.DATA_EXPORT)],
    )
    async def start_export(self, info: Info, input: StartExportInput) -> StartExportPayload:
        entity_type = _value(input.type)

        async def start(session: Any, principal: Any) -> tuple[ExportJobRow, str]:
            jobs.check_export_allowed(principal, entity_type)
            try:
                filter_ = filter_from_json(entity_type, input.filter)
            except ValueError as exc:
                raise ServiceError.single(ErrorCode.VALIDATION, str(exc), "filter") from exc
            authorize_filter(SPECS[EXPORT_TYPES[entity_type]], filter_, principal)
            return await jobs.create_export_job(
                session,
                principal,
                entity_type,
                FileFormatModel(input.file_format),
                input.filter if isinstance(input.filter, dict) else {},
            )

        result = await run_service(info, start)
        if isinstance(result, list):
            return StartExportPayload(export_job=None, download_url=None, errors=result)
        job, token = result
        return StartExportPayload(
            export_job=ExportJob.from_row(job),
            download_url=f"/exports/{job.id}?token={token}",
            errors=[],
        )


async def _job(info: Info, model: Any, global_id: str, type_name: str) -> Any:
    try:
        job_id = node_pk(global_id, type_name)
        async with info.context.session_factory() as session:
            return await queries.visible_job(session, info.context.principal, model, job_id)
    except ServiceError:
        return None


async def resolve_import_job(info: Info, id: strawberry.ID) -> ImportJob | None:
    row = await _job(info, ImportJobRow, id, "ImportJob")
    return None if row is None else ImportJob.from_row(row)


async def resolve_export_job(info: Info, id: strawberry.ID) -> ExportJob | None:
    row = await _job(info, ExportJobRow, id, "ExportJob")
    return None if row is None else ExportJob.from_row(row)


IMPORT_JOB = strawberry.field(
    resolver=resolve_import_job,
    permission_classes=[requires(Scope.DATA_IMPORT)],
    description="An import job you started (admins: any); null if there is none.",
)
EXPORT_JOB = strawberry.field(
    resolver=resolve_export_job,
    permission_classes=[requires(Scope.DATA_EXPORT)],
    description="An export job you started (admins: any); null if there is none.",
)
