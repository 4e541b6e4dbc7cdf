"""Running an import job: batch by batch, each batch's rows, rejected rows and the job's
checkpoint in one transaction, so that a resumed job continues after its last committed batch;
one audit entry and one `import.completed` event at the end."""

from __future__ import annotations

import asyncio
import csv
import gc
import itertools
import uuid
from collections.abc import AsyncGenerator, Callable, Iterator
from contextlib import aclosing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kernel.audit import record_audit
from kernel.outbox import record_event
from kernel.principal import Principal
from kernel.tables import json_value, table_of
from kernel.unit_of_work import unit_of_work
from models import utcnow
from models.bulk import FileFormat, ImportJob, ImportRowError, JobStatus
from resolvers.bulk.entities import ENTITY_IMPORTS, EntityImport
from resolvers.bulk.formats import (
    Dialect,
    FileFormatError,
    Record,
    read_header,
    read_records,
    sniff,
    transcode_to_utf8,
)
from resolvers.bulk.formats import needs_transcoding as is_utf16
from resolvers.bulk.jobs import import_jobs, principal_of
from resolvers.bulk.mapping import ColumnMapping, map_columns
from resolvers.bulk.pacing import Pacer, pacing
from resolvers.bulk.writer import (
    BatchOptions,
    BatchOutcome,
    PreparedBatch,
    prepare_batch,
    write_prepared,
)

import_errors = table_of(ImportRowError)


class LostJobError(RuntimeError):
    """Another process took the job over (its version moved): this one stops."""


@dataclass(frozen=True)
class Progress:
    """Where a running import is, for progress bars."""

    rows: int
    offset: int
    size: int
    created: int
    updated: int
    unchanged: int
    rejected: int


ProgressHook = Callable[[Progress], None]


def error_report_path(files_dir: Path, job_id: uuid.UUID) -> Path:
    return files_dir / "imports" / f"{job_id}-errors.csv"


def utf8_copy_path(files_dir: Path, job_id: uuid.UUID, path: Path) -> Path:
    """Where the UTF-8 copy of a UTF-16 file is read from."""
    return files_dir / "imports" / f"{job_id}-utf8{path.suffix}"


def _readable_path(job: ImportJob, files_dir: Path) -> Path:
    """The file to read: UTF-16 files are read from a UTF-8 copy (one-byte newlines)."""
    path = Path(job.file_path)
    if not is_utf16(path):
        return path
    copy = utf8_copy_path(files_dir, job.id, path)
    if not copy.exists():
        copy.parent.mkdir(parents=True, exist_ok=True)
        partial = copy.with_suffix(".partial")
        transcode_to_utf8(path, partial)
        partial.rename(copy)
    return copy


def _mapper(
    spec: EntityImport, job: ImportJob, path: Path, dialect: Dialect
) -> Callable[[dict[str, Any]], ColumnMapping]:
    """The column mapping of a record: fixed by the header of a CSV file; per key set in JSON
    Lines, where each record names its own fields."""
    explicit = job.options.get("mapping")
    if dialect.file_format == FileFormat.CSV:
        header, _ = read_header(path, dialect)
        fixed = map_columns(spec, [name.strip() for name in header], explicit)
        return lambda fields: fixed
    cache: dict[frozenset[str], ColumnMapping] = {}

    def per_record(fields: dict[str, Any]) -> ColumnMapping:
        keys = frozenset(fields)
        if keys not in cache:
            cache[keys] = map_columns(spec, list(fields), explicit, every_mapped_column=False)
        return cache[keys]

    return per_record


async def run_import(
    factory: async_sessionmaker[AsyncSession],
    job_id: uuid.UUID,
    files_dir: Path,
    batch_size: int,
    on_progress: ProgressHook | None = None,
) -> ImportJob:
    """Run a job this process has claimed (see `claim_import`) to its end; it fails with its
    error recorded when the file cannot be read at all."""
    _freeze_loaded_objects()
    async with factory() as session:
        job = await session.get_one(ImportJob, job_id)
        threaded_driver = session.get_bind().dialect.name == "sqlite"
    spec = ENTITY_IMPORTS[job.entity_type]
    try:
        path = _readable_path(job, files_dir)
        if "encoding" in job.options:
            dialect = Dialect(
                FileFormat(job.file_format), job.options["encoding"], job.options["delimiter"]
            )
        else:
            dialect = sniff(path, FileFormat(job.file_format))
        mapper = _mapper(spec, job, path, dialect)
    except (FileFormatError, ValueError, OSError) as exc:
        return await _fail(factory, job, str(exc))
    if "encoding" not in job.options:
        job = await _save_options(factory, job, dialect.as_options())
    options = BatchOptions(
        match=job.options["match"],
        create_customers=bool(job.options.get("create_customers")),
        per_record_events=bool(job.options.get("per_record_events")),
        dry_run=job.dry_run,
    )
    principal = principal_of(job.options)
    size = path.stat().st_size
    records = read_records(path, dialect, job.committed_offset, job.committed_rows)
    batch_size = job.options.get("batch_size") or batch_size
    batches = _prepared(spec, mapper, records, batch_size)
    pacer = Pacer(handoff=threaded_driver)
    with pacing(pacer):
        async with aclosing(_read_ahead(batches, pacer)) as ahead:
            async for last, parts in ahead:
                async with unit_of_work(factory) as session:
                    outcome = BatchOutcome()
                    for part in parts:
                        outcome.merge(await write_prepared(session, principal, spec, part, options))
                    job = await _checkpoint(session, job, last.row_number, last.end_offset, outcome)
                    pacer.release()  # for the commit
                if on_progress is not None:
                    on_progress(_progress(job, size))
    return await _complete(factory, job, principal, files_dir)


_Prepared = tuple[Record, list[PreparedBatch]]
# Rows prepared between two chances for the event loop to resume the batch being written.
_STEP = 50


def _prepared(
    spec: EntityImport,
    mapper: Callable[[dict[str, Any]], ColumnMapping],
    records: Iterator[Record],
    batch_size: int,
) -> Iterator[_Prepared | None]:
    """Each batch read and prepared (its last record and its parts); None between steps."""
    while batch := list(itertools.islice(records, batch_size)):
        parts = []
        # JSON Lines records with other keys are mapped, and written, on their own.
        for mapping, run in itertools.groupby(batch, key=lambda r: mapper(r.fields)):
            group = list(run)
            for start in range(0, len(group), _STEP):
                parts.append(prepare_batch(spec, mapping, group[start : start + _STEP]))
                yield None
        yield batch[-1], _merged(parts)


def _merged(parts: list[PreparedBatch]) -> list[PreparedBatch]:
    """Consecutive parts of one mapping as one (one set of queries per batch and mapping)."""
    merged: list[PreparedBatch] = []
    for part in parts:
        if merged and merged[-1].mapping is part.mapping:
            merged[-1].rows += part.rows
            merged[-1].outcome.merge(part.outcome)
        else:
            merged.append(part)
    return merged


async def _read_ahead(
    items: Iterator[_Prepared | None], pacer: Pacer
) -> AsyncGenerator[_Prepared, None]:
    """The batches, the next one prepared while the caller awaits a long write of this one
    (see `pacer`): the database works in the driver's thread or the server's process
    meanwhile. One batch is kept ahead, so memory stays that of a few batches. The caller's
    checkpoints are unchanged: nothing here writes."""
    queue: asyncio.Queue[_Prepared | BaseException | None] = asyncio.Queue(maxsize=1)

    async def produce() -> None:
        try:
            for item in items:
                if item is None:
                    await pacer.turn()
                else:
                    await queue.put(item)
            await queue.put(None)
        except Exception as exc:  # handed to the caller, raised there
            await queue.put(exc)

    task = asyncio.create_task(produce())
    try:
        while True:
            pacer.release()
            item = await queue.get()
            pacer.hold()
            if item is None:
                break
            if isinstance(item, BaseException):
                raise item
            yield item
        await task
    finally:
        task.cancel()


def _freeze_loaded_objects() -> None:
    """Once per process: the objects alive now (the application's modules, types and
    tables) are left out of the cyclic garbage collector's full passes. A big import
    promotes many short-lived rows to the oldest generation; without this, every full pass
    over them would also walk the whole application again (about a fifth of the import's
    time)."""
    global _frozen
    if not _frozen:
        gc.freeze()
        _frozen = True


_frozen = False


def _progress(job: ImportJob, size: int) -> Progress:
    return Progress(
        job.committed_rows,
        job.committed_offset,
        size,
        job.created_count,
        job.updated_count,
        job.unchanged_count,
        job.rejected_count,
    )


async def _checkpoint(
    session: AsyncSession, job: ImportJob, rows: int, offset: int, outcome: BatchOutcome
) -> ImportJob:
    if outcome.errors:
        await session.execute(
            insert(import_errors),
            [
                {
                    "id": uuid.uuid4(),
                    "job_id": job.id,
                    "row_number": error.row_number,
                    "column": error.column[:200],
                    "code": error.code,
                    "message": error.message,
                    "created_at": utcnow(),
                    "updated_at": utcnow(),
                    "version": 1,
                }
                for error in _one_per_column(outcome)
            ],
        )
    values = {
        "committed_rows": rows,
        "committed_offset": offset,
        "created_count": job.created_count + outcome.created,
        "updated_count": job.updated_count + outcome.updated,
        "unchanged_count": job.unchanged_count + outcome.unchanged,
        "rejected_count": job.rejected_count + len(outcome.rejected_rows),
        "version": job.version + 1,
        "updated_at": utcnow(),
    }
    if outcome.customers_created:
        created = job.options.get("customers_created", 0) + outcome.customers_created
        values["options"] = job.options | {"customers_created": created}
    moved = await session.execute(
        update(import_jobs)
        .where(import_jobs.c.id == job.id, import_jobs.c.version == job.version)
        .values(**values)
    )
    if moved.rowcount != 1:  # type: ignore[attr-defined]
        raise LostJobError(f"import {job.id} was taken over by another process")
    for name, value in values.items():
        setattr(job, name, value)
    return job


def _one_per_column(outcome: BatchOutcome) -> list[Any]:
    """A row's errors, one per column (the first message when a column has several)."""
    seen: set[tuple[int, str]] = set()
    kept = []
    for error in outcome.errors:
        key = (error.row_number, error.column)
        if key not in seen:
            seen.add(key)
            kept.append(error)
    return kept


async def _save_options(
    factory: async_sessionmaker[AsyncSession], job: ImportJob, extra: dict[str, Any]
) -> ImportJob:
    async with unit_of_work(factory) as session:
        return await _checkpoint_options(session, job, job.options | extra)


async def _checkpoint_options(
    session: AsyncSession, job: ImportJob, options: dict[str, Any]
) -> ImportJob:
    moved = await session.execute(
        update(import_jobs)
        .where(import_jobs.c.id == job.id, import_jobs.c.version == job.version)
        .values(options=options, version=job.version + 1, updated_at=utcnow())
    )
    if moved.rowcount != 1:  # type: ignore[attr-defined]
        raise LostJobError(f"import {job.id} was taken over by another process")
    job.options, job.version = options, job.version + 1
    return job


async def _fail(factory: async_sessionmaker[AsyncSession], job: ImportJob, error: str) -> ImportJob:
    async with unit_of_work(factory) as session:
        await session.execute(
            update(import_jobs)
            .where(import_jobs.c.id == job.id)
            .values(
                status=JobStatus.FAILED,
                error=error,
                finished_at=utcnow(),
                version=job.version + 1,
                updated_at=utcnow(),
            )
        )
    async with factory() as session:
        return await session.get_one(ImportJob, job.id)


def summary(job: ImportJob) -> dict[str, Any]:
    """The job as the `import.completed` event and the audit entry carry it."""
    return {
        "id": str(job.id),
        "entity_type": job.entity_type,
        "file_name": job.file_name,
        "rows": job.committed_rows,
        "created": job.created_count,
        "updated": job.updated_count,
        "unchanged": job.unchanged_count,
        "rejected": job.rejected_count,
        "customers_created": job.options.get("customers_created", 0),
        "requested_by": job.requested_by,
        "finished_at": json_value(job.finished_at),
    }


async def _complete(
    factory: async_sessionmaker[AsyncSession],
    job: ImportJob,
    principal: Principal,
    files_dir: Path,
) -> ImportJob:
    await write_error_report(factory, job.id, error_report_path(files_dir, job.id))
    async with unit_of_work(factory) as session:
        finished = utcnow()
        moved = await session.execute(
            update(import_jobs)
            .where(import_jobs.c.id == job.id, import_jobs.c.version == job.version)
            .values(
                status=JobStatus.COMPLETED,
                total_rows=job.committed_rows,
                finished_at=finished,
                version=job.version + 1,
                updated_at=finished,
            )
        )
        if moved.rowcount != 1:  # type: ignore[attr-defined]
            raise LostJobError(f"import {job.id} was taken over by another process")
        job.finished_at, job.version = finished, job.version + 1
        if not job.dry_run:
            data = summary(job)
            record_event(session, principal, "import.completed", "import_job", job.id, 1, data)
            record_audit(session, principal, "import.completed", "import_job", job.id, data)
    async with factory() as session:
        return await session.get_one(ImportJob, job.id)


async def write_error_report(
    factory: async_sessionmaker[AsyncSession], job_id: uuid.UUID, path: Path
) -> None:
    """The rejected rows as CSV (row, column, code, reason), streamed from the database."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    statement = (
        select(
            import_errors.c.row_number,
            import_errors.c.column,
            import_errors.c.code,
            import_errors.c.message,
        )
        .where(import_errors.c.job_id == job_id)
        .order_by(import_errors.c.row_number, import_errors.c.column)
    )
    async with factory() as session:
        with partial.open("w", encoding="utf-8", newline="") as file:
            writer = csv.writer(file)
            writer.writerow(["row", "column", "code", "reason"])
            async for row in await session.stream(statement.execution_options(yield_per=1000)):
                writer.writerow(row)
    partial.replace(path)
