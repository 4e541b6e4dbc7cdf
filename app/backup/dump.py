"""`dump_all`: every table to a JSON Lines file, read at one consistent snapshot."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from alembic.runtime.migration import MigrationContext
from sqlalchemy.ext.asyncio import AsyncConnection

from app.backup.codec import TableCodec
from app.backup.files import HashingWriter
from app.backup.manifest import (
    FORMAT_VERSION,
    BackupError,
    BackupManifest,
    TableFile,
    write_manifest,
)
from app.backup.tables import backup_codecs
from app.db import create_engine
from app.settings import Settings
from models import utcnow

# Rows fetched per round trip from the server-side cursor (and written per chunk).
FETCH_ROWS = 2000

Progress = Callable[[str, int], None]


async def dump_all(
    settings: Settings, directory: Path, progress: Progress | None = None
) -> BackupManifest:
    """Write every table of the settings' database into `directory` (new or empty), then its
    manifest; `progress(table, rows_so_far)` is called after each chunk."""
    _prepare_directory(directory)
    engine = create_engine(settings.database_url, pool_size=1)
    try:
        async with engine.connect() as connection:
            if connection.dialect.name == "postgresql":
                # One snapshot for the whole dump, taking no locks that writers wait for.
                connection = await connection.execution_options(
                    isolation_level="REPEATABLE READ", postgresql_readonly=True
                )
            # SQLite (WAL): one read transaction sees one snapshot from its first read on.
            async with connection.begin():
                revision = await connection.run_sync(
                    lambda sync: MigrationContext.configure(sync).get_current_revision()
                )
                if revision is None:
                    raise BackupError("the database has never been migrated: nothing to back up")
                tables = []
                for codec in backup_codecs():
                    tables.append(await _dump_table(connection, codec, directory, progress))
        manifest = BackupManifest(
            format_version=FORMAT_VERSION,
            created_at=utcnow(),
            alembic_revision=revision,
            source_dialect=engine.dialect.name,
            tables=tuple(tables),
        )
    finally:
        await engine.dispose()
    write_manifest(directory, manifest)
    return manifest


def _prepare_directory(directory: Path) -> None:
    if directory.exists() and any(directory.iterdir()):
        raise BackupError(f"{directory} is not empty: back up into a new or empty directory")
    directory.mkdir(parents=True, exist_ok=True)


async def _dump_table(
    connection: AsyncConnection, codec: TableCodec, directory: Path, progress: Progress | None
) -> TableFile:
    name = f"{codec.name}.jsonl"
    rows = 0
    with HashingWriter(directory / name) as writer:
        result = await connection.stream(codec.select_all().execution_options(yield_per=FETCH_ROWS))
        async for partition in result.partitions():
            writer.write("".join(codec.encode(row) for row in partition).encode("utf-8"))
            rows += len(partition)
            if progress is not None:
                progress(codec.name, rows)
    return TableFile(
        table=codec.name, file=name, rows=rows, sha256=writer.sha256, columns=codec.columns
    )
