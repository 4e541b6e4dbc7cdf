"""`crm import TYPE FILE` and `crm export TYPE`: bulk import and export from the terminal, with
a progress bar (rows/s, ETA)."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
import uuid
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    TaskID,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app import backup
from app.cli.privacy import operator
from app.db import create_engine, create_session_factory
from app.settings import Settings
from kernel.errors import ServiceError
from kernel.unit_of_work import unit_of_work
from models.bulk import FileFormat, ImportJob, JobStatus
from resolvers.bulk import imports
from resolvers.bulk.entities import ENTITY_IMPORTS
from resolvers.bulk.export_filters import filter_from_json
from resolvers.bulk.exports import EXPORT_TYPES, RowWriter, export_columns, export_rows
from resolvers.bulk.formats import format_of
from resolvers.bulk.jobs import (
    check_export_allowed,
    claim_import,
    create_import_job,
    import_options,
)


def add_commands(commands: Any) -> None:
    """Register `crm import` and `crm export` on the `crm` parser's subcommands."""
    importing = commands.add_parser("import", help="import records from a CSV or JSON Lines file")
    importing.add_argument("type", nargs="?", choices=sorted(ENTITY_IMPORTS))
    importing.add_argument("file", nargs="?", type=Path)
    importing.add_argument("--resume", metavar="JOB_ID", help="continue an interrupted import")
    importing.add_argument(
        "--all", metavar="DIR", type=Path, help="restore a backup made by `crm export --all`"
    )
    importing.add_argument("--dry-run", action="store_true", help="validate only; write nothing")
    importing.add_argument("--match", help="match existing records by: external_id, email, ...")
    importing.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="COLUMN=FIELD",
        help="map a column to a field (repeatable; an empty FIELD ignores the column)",
    )
    importing.add_argument(
        "--create-customers",
        action="store_true",
        help="create the customer a record names when it does not exist yet",
    )
    importing.add_argument(
        "--per-record-events", action="store_true", help="also record an event per record"
    )
    importing.add_argument("--batch-size", type=int, help="rows per transaction")
    exporting = commands.add_parser("export", help="export records to CSV or JSON Lines")
    exporting.add_argument("type", nargs="?", choices=sorted(EXPORT_TYPES))
    exporting.add_argument(
        "--all", metavar="DIR", type=Path, help="back up the whole database into DIR"
    )
    exporting.add_argument(
        "--filter", type=json.loads, help="JSON in the shape of the GraphQL filter input"
    )
    exporting.add_argument("--format", choices=[f.value for f in FileFormat], default="csv")
    exporting.add_argument("--output", "-o", type=Path, help="the file to write (default: stdout)")


def _console() -> Console:
    return Console(stderr=True)


async def run_import(settings: Settings, args: argparse.Namespace) -> str:
    """Run `crm import ...`; the summary to print."""
    if args.all is not None:
        return await _backup(settings, args.all, restore=True)
    engine = create_engine(settings.database_url)
    factory = create_session_factory(engine)
    try:
        if args.resume:
            job_id = _job_id(args.resume)
        else:
            job_id = await _create(factory, args)
        async with factory() as session:
            claimed = await claim_import(session, job_id, take_over=True)
            await session.commit()
        if claimed is None:
            raise SystemExit(f"error: import {job_id} is finished or does not exist")
        job = await _run_with_progress(settings, factory, claimed)
    except ServiceError as exc:
        raise SystemExit(f"error: {exc}") from exc
    finally:
        await engine.dispose()
    return _summary(settings, job)


async def _backup(settings: Settings, directory: Path, *, restore: bool) -> str:
    """`crm export --all DIR` (dump) or `crm import --all DIR` (restore), with a progress line per
    table; the summary to print."""
    console = _console()
    progress = Progress(
        TextColumn("[bold]{task.description}"),
        TextColumn("{task.fields[rows]:,} rows"),
        TimeElapsedColumn(),
        console=console,
        disable=not console.is_terminal,
    )
    tasks: dict[str, TaskID] = {}

    def update(table: str, rows: int) -> None:
        if table not in tasks:
            tasks[table] = progress.add_task(table, total=None, rows=0)
        progress.update(tasks[table], rows=rows)

    try:
        with progress:
            run = backup.restore_all if restore else backup.dump_all
            manifest = await run(settings, directory, update)
    except backup.BackupError as exc:
        raise SystemExit(f"error: {exc}") from exc
    verb = "restored from" if restore else "backed up to"
    return (
        f"{manifest.total_rows} rows in {len(manifest.tables)} tables {verb} {directory} "
        f"(revision {manifest.alembic_revision})"
    )


def _job_id(text: str) -> uuid.UUID:
    try:
        return uuid.UUID(text)
    except ValueError as exc:
        raise SystemExit(f"error: {text!r} is not an import job id") from exc


def _mapping(pairs: list[str]) -> dict[str, str | None] | None:
    mapping: dict[str, str | None] = {}
    for pair in pairs:
        column, separator, target = pair.partition("=")
        if not separator:
            raise SystemExit(f"error: --map {pair!r}: expected COLUMN=FIELD")
        mapping[column] = target or None
    return mapping or None


async def _create(factory: async_sessionmaker[AsyncSession], args: argparse.Namespace) -> uuid.UUID:
    if args.type is None or args.file is None:
        raise SystemExit("error: crm import needs TYPE and FILE (or --resume JOB_ID)")
    path = args.file.resolve()
    if not path.is_file():
        raise SystemExit(f"error: no file {args.file}")
    options = import_options(
        args.match,
        _mapping(args.map),
        args.create_customers,
        args.per_record_events,
        args.batch_size,
    )
    async with unit_of_work(factory) as session:
        job = await create_import_job(
            session,
            operator(),
            args.type,
            path,
            path.name,
            format_of(path.name),
            options,
            args.dry_run,
        )
    print(f"import {job.id}", file=sys.stderr)
    return job.id


async def _run_with_progress(
    settings: Settings, factory: async_sessionmaker[AsyncSession], job: ImportJob
) -> ImportJob:
    console = _console()
    progress = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TextColumn("{task.fields[rows]:,} rows"),
        TextColumn("{task.fields[rate]:,.0f} rows/s"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        disable=not console.is_terminal,
    )
    started, first_rows = time.monotonic(), job.committed_rows
    size = await asyncio.to_thread(lambda: Path(job.file_path).stat().st_size)
    task = progress.add_task(
        f"import {job.entity_type}", total=size, completed=job.committed_offset, rows=0, rate=0.0
    )

    def update(at: imports.Progress) -> None:
        elapsed = max(time.monotonic() - started, 1e-6)
        rate = (at.rows - first_rows) / elapsed
        progress.update(task, completed=at.offset, total=at.size, rows=at.rows, rate=rate)

    with progress:
        return await imports.run_import(
            factory, job.id, settings.files_dir, settings.import_batch_size, update
        )


def _summary(settings: Settings, job: ImportJob) -> str:
    if job.status == JobStatus.FAILED:
        raise SystemExit(f"error: import {job.id} failed: {job.error}")
    verb = "validated (dry run)" if job.dry_run else "completed"
    lines = [
        f"import {job.id} {verb}: {job.total_rows} rows, created {job.created_count}, "
        f"updated {job.updated_count}, unchanged {job.unchanged_count}, "
        f"rejected {job.rejected_count}"
    ]
    if job.options.get("customers_created"):
        lines.append(f"customers created: {job.options['customers_created']}")
    if job.rejected_count:
        lines.append(f"error report: {imports.error_report_path(settings.files_dir, job.id)}")
    return "\n".join(lines)


async def run_export(settings: Settings, args: argparse.Namespace) -> str:
    """Run `crm export ...`: the rows to the output file or stdout; a summary for stderr."""
    if args.all is not None:
        return await _backup(settings, args.all, restore=False)
    if args.type is None:
        raise SystemExit("error: crm export needs TYPE (or --all DIR)")
    principal = operator()
    try:
        check_export_allowed(principal, args.type)
        filter_ = filter_from_json(args.type, args.filter or {})
    except (ServiceError, ValueError) as exc:
        raise SystemExit(f"error: {exc}") from exc
    engine = create_engine(settings.database_url)
    factory = create_session_factory(engine)
    count = 0
    output: AbstractContextManager[Any] = (
        args.output.open("w", encoding="utf-8", newline="")
        if args.output
        else nullcontext(sys.stdout)
    )
    try:
        with output as file:
            writer = RowWriter(file, FileFormat(args.format), export_columns(args.type))
            async for row in export_rows(factory, principal, args.type, filter_):
                writer.write(row)
                count += 1
    finally:
        await engine.dispose()
    return f"exported {count} {args.type}"
