"""Import and export jobs: who may start them, claiming one to run it, and waking the runner."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from kernel.errors import ErrorCode, ServiceError
from kernel.permissions import READ_SCOPES, WRITE_SCOPES, Scope, has_scope
from kernel.principal import Principal, PrincipalKind
from kernel.tables import table_of
from models import utcnow
from models.bulk import ExportJob, FileFormat, ImportJob, JobStatus
from resolvers.bulk.entities import ENTITY_IMPORTS
from resolvers.bulk.exports import EXPORT_TYPES

import_jobs = table_of(ImportJob)
export_jobs = table_of(ExportJob)
# A running job whose checkpoint has not moved for this long was interrupted.
STALE_AFTER = timedelta(minutes=2)
_CREATED_KEY = "crm.bulk_job_created"
_hooks: list[Callable[[], None]] = []


def on_job_created(hook: Callable[[], None]) -> Callable[[], None]:
    """Call ``hook`` after each commit that created a job; returns the unregistering function."""
    _hooks.append(hook)
    return lambda: _hooks.remove(hook)


@sa_event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    if session.info.pop(_CREATED_KEY, False):
        for hook in list(_hooks):
            hook()


def principal_options(principal: Principal) -> dict[str, Any]:
    """The principal as job options: a job runs later, as whoever started it."""
    return {
        "subject": principal.subject,
        "kind": principal.kind.value,
        "role": principal.role,
        "scopes": sorted(principal.scopes),
        "user_id": str(principal.user_id) if principal.user_id else None,
    }


def principal_of(options: dict[str, Any]) -> Principal:
    saved = options["principal"]
    return Principal(
        subject=saved["subject"],
        kind=PrincipalKind(saved["kind"]),
        role=saved["role"],
        scopes=frozenset(saved["scopes"]),
        user_id=uuid.UUID(saved["user_id"]) if saved["user_id"] else None,
    )


def _require(principal: Principal, *scopes: Scope) -> None:
    missing = [scope.value for scope in scopes if not has_scope(principal, scope)]
    if missing:
        raise ServiceError.single(ErrorCode.FORBIDDEN, f"requires the {', '.join(missing)} scope")


def check_import_allowed(principal: Principal, entity_type: str) -> None:
    """FORBIDDEN without data:import and the type's write scope; VALIDATION for unknown types."""
    spec = ENTITY_IMPORTS.get(entity_type)
    if spec is None:
        raise ServiceError.single(
            ErrorCode.VALIDATION,
            f"cannot import {entity_type}; one of {', '.join(ENTITY_IMPORTS)}",
            "type",
        )
    _require(principal, Scope.DATA_IMPORT, WRITE_SCOPES[spec.entity])


def import_options(
    match: str | None = None,
    mapping: dict[str, str | None] | None = None,
    create_customers: bool = False,
    per_record_events: bool = False,
    batch_size: int | None = None,
) -> dict[str, Any]:
    return {
        "match": match,
        "mapping": mapping,
        "create_customers": create_customers,
        "per_record_events": per_record_events,
        "batch_size": batch_size,
    }


async def create_import_job(
    session: AsyncSession,
    principal: Principal,
    entity_type: str,
    file_path: Path,
    file_name: str,
    file_format: FileFormat,
    options: dict[str, Any],
    dry_run: bool = False,
) -> ImportJob:
    """A pending import of ``file_path``; the runner is woken after the commit."""
    check_import_allowed(principal, entity_type)
    spec = ENTITY_IMPORTS[entity_type]
    match = options.get("match") or spec.default_match
    if match not in spec.match_keys:
        raise ServiceError.single(
            ErrorCode.VALIDATION,
            f"{entity_type} match by one of {', '.join(spec.match_keys)}",
            "match",
        )
    job = ImportJob(
        entity_type=entity_type,
        dry_run=dry_run,
        file_path=str(file_path),
        file_name=file_name,
        file_format=file_format,
        file_sha256=_sha256(file_path),
        options=options | {"match": match, "principal": principal_options(principal)},
        requested_by=principal.actor,
    )
    session.add(job)
    await session.flush()
    session.info[_CREATED_KEY] = True
    return job


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


async def claim_import(
    session: AsyncSession, job_id: uuid.UUID, take_over: bool = False
) -> ImportJob | None:
    """Mark a pending job (or an interrupted one; any unfinished one with ``take_over``)
    running for this process; None when it is finished or another process holds it."""
    job = await session.get(ImportJob, job_id)
    if job is None or job.status in (JobStatus.COMPLETED, JobStatus.CANCELLED):
        return None
    stale = job.updated_at < utcnow() - STALE_AFTER
    if job.status == JobStatus.RUNNING and not (stale or take_over):
        return None
    if job.status == JobStatus.FAILED and not take_over:
        return None
    claimed = await session.execute(
        update(import_jobs)
        .where(import_jobs.c.id == job_id, import_jobs.c.version == job.version)
        .values(
            status=JobStatus.RUNNING,
            version=job.version + 1,
            updated_at=utcnow(),
            started_at=job.started_at or utcnow(),
            error=None,
        )
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        return None
    await session.refresh(job)
    return job


async def runnable_imports(session: AsyncSession, now: datetime) -> list[uuid.UUID]:
    """Pending imports and interrupted ones, oldest first."""
    statement = (
        select(import_jobs.c.id)
        .where(
            or_(
                import_jobs.c.status == JobStatus.PENDING,
                (import_jobs.c.status == JobStatus.RUNNING)
                & (import_jobs.c.updated_at < now - STALE_AFTER),
            )
        )
        .order_by(import_jobs.c.created_at)
    )
    return list(await session.scalars(statement))


def check_export_allowed(principal: Principal, entity_type: str) -> None:
    """FORBIDDEN without data:export and the type's read scope; VALIDATION for unknown types."""
    if entity_type not in EXPORT_TYPES:
        raise ServiceError.single(
            ErrorCode.VALIDATION,
            f"cannot export {entity_type}; one of {', '.join(EXPORT_TYPES)}",
            "type",
        )
    _require(principal, Scope.DATA_EXPORT, READ_SCOPES[EXPORT_TYPES[entity_type]])


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def create_export_job(
    session: AsyncSession,
    principal: Principal,
    entity_type: str,
    file_format: FileFormat,
    filter_: dict[str, Any],
) -> tuple[ExportJob, str]:
    """A pending export and its download token (only its hash is stored)."""
    check_export_allowed(principal, entity_type)
    token = secrets.token_urlsafe(32)
    job = ExportJob(
        entity_type=entity_type,
        file_format=file_format,
        filter={"filter": filter_, "principal": principal_options(principal)},
        requested_by=principal.actor,
        token_hash=token_hash(token),
    )
    session.add(job)
    await session.flush()
    session.info[_CREATED_KEY] = True
    return job, token


async def claim_export(session: AsyncSession, job_id: uuid.UUID) -> ExportJob | None:
    """Mark a pending (or interrupted) export running for this process."""
    job = await session.get(ExportJob, job_id)
    if job is None or job.status not in (JobStatus.PENDING, JobStatus.RUNNING):
        return None
    if job.status == JobStatus.RUNNING and job.updated_at >= utcnow() - STALE_AFTER:
        return None
    claimed = await session.execute(
        update(export_jobs)
        .where(export_jobs.c.id == job_id, export_jobs.c.version == job.version)
        .values(
            status=JobStatus.RUNNING,
            version=job.version + 1,
            updated_at=utcnow(),
            started_at=utcnow(),
        )
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        return None
    await session.refresh(job)
    return job


async def runnable_exports(session: AsyncSession, now: datetime) -> list[uuid.UUID]:
    statement = (
        select(export_jobs.c.id)
        .where(
            or_(
                export_jobs.c.status == JobStatus.PENDING,
                (export_jobs.c.status == JobStatus.RUNNING)
                & (export_jobs.c.updated_at < now - STALE_AFTER),
            )
        )
        .order_by(export_jobs.c.created_at)
    )
    return list(await session.scalars(statement))
