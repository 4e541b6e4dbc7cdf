"""Bulk import and export jobs: progress, counts and the rows an import rejected."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, String, Text, UniqueConstraint
from sqlmodel import Field

from models.base import Entity, UTCDateTime, empty_dict, enum_check


class JobStatus(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"


class FileFormat(StrEnum):
    CSV = "csv"
    JSONL = "jsonl"


class ImportJob(Entity, table=True):
    """One import of one file. Each batch commits its rows, its rejected rows and the job's
    checkpoint (`committed_rows`, `committed_offset`) together, so a resumed import starts right
    after the last committed batch."""

    __tablename__ = "import_jobs"
    __table_args__ = (
        enum_check("status", JobStatus, "ck_import_jobs_status"),
        enum_check("file_format", FileFormat, "ck_import_jobs_file_format"),
    )

    entity_type: str = Field(sa_type=String(50), index=True)
    status: JobStatus = Field(default=JobStatus.PENDING, sa_type=String(32), index=True)
    dry_run: bool = Field(default=False)
    file_path: str = Field(sa_type=Text)
    file_name: str | None = Field(default=None, sa_type=String(500))
    file_format: FileFormat = Field(default=FileFormat.CSV, sa_type=String(32))
    file_sha256: str | None = Field(default=None, sa_type=String(64))
    # Mapping, delimiter, encoding, match key, create_customers, per_record_events, batch size.
    options: dict[str, Any] = Field(default_factory=empty_dict, sa_type=JSON)
    requested_by: str | None = Field(default=None, sa_type=String(200))
    total_rows: int | None = Field(default=None)
    committed_rows: int = Field(default=0)
    committed_offset: int = Field(default=0, sa_type=BigInteger)
    created_count: int = Field(default=0)
    updated_count: int = Field(default=0)
    unchanged_count: int = Field(default=0)
    rejected_count: int = Field(default=0)
    error: str | None = Field(default=None, sa_type=Text)
    started_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ImportRowError(Entity, table=True):
    """A rejected row: where it is in the file, which column, and why."""

    __tablename__ = "import_errors"
    __table_args__ = (
        UniqueConstraint("job_id", "row_number", "column", name="uq_import_errors_row_column"),
    )

    job_id: uuid.UUID = Field(foreign_key="import_jobs.id", index=True)
    row_number: int
    column: str = Field(default="", sa_type=String(200))
    code: str = Field(sa_type=String(64))
    message: str = Field(sa_type=Text)


class ExportJob(Entity, table=True):
    """An export to a file, downloadable with a token until `expires_at`."""

    __tablename__ = "export_jobs"
    __table_args__ = (
        enum_check("status", JobStatus, "ck_export_jobs_status"),
        enum_check("file_format", FileFormat, "ck_export_jobs_file_format"),
    )

    entity_type: str = Field(sa_type=String(50), index=True)
    status: JobStatus = Field(default=JobStatus.PENDING, sa_type=String(32), index=True)
    file_format: FileFormat = Field(default=FileFormat.CSV, sa_type=String(32))
    filter: dict[str, Any] = Field(default_factory=empty_dict, sa_type=JSON)
    requested_by: str | None = Field(default=None, sa_type=String(200))
    row_count: int = Field(default=0)
    file_path: str | None = Field(default=None, sa_type=Text)
    # SHA-256 of the download token; the token itself is shown once.
    token_hash: str | None = Field(default=None, sa_type=String(64), unique=True)
    expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    error: str | None = Field(default=None, sa_type=Text)
    started_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
