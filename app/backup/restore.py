"""`restore_all`: a backup into an empty database at the same schema revision, all or nothing."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from alembic.runtime.migration import MigrationContext
from cryptography.fernet import InvalidToken
from sqlalchemy import Integer, bindparam, exists, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from app.backup.codec import TableCodec
from app.backup.files import file_sha256, read_lines
from app.backup.manifest import BackupError, BackupManifest, TableFile, read_manifest
from app.backup.tables import backup_codecs
from app.crypto import keyring_from_settings
from app.db import create_engine
from app.settings import Settings
from kernel.unit_of_work import WRITE_OPTION
from models.encryption import Keyring

# Rows per round trip (one COPY on PostgreSQL, one executemany of the INSERT elsewhere).
INSERT_ROWS = 2000

Progress = Callable[[str, int], None]


async def restore_all(
    settings: Settings, directory: Path, progress: Progress | None = None
) -> BackupManifest:
    """Load the backup in `directory` into the settings' database, which must be migrated to the
    backup's revision and empty. One transaction: on any failure nothing is left behind."""
    manifest = read_manifest(directory)
    files = _files_by_table(manifest)
    await asyncio.to_thread(_verify_checksums, directory, manifest)
    keyring = keyring_from_settings(settings)
    engine = create_engine(settings.database_url, pool_size=1)
    try:
        # SQLite: BEGIN IMMEDIATE, so no writer slips in between the emptiness check and the load.
        async with engine.execution_options(**{WRITE_OPTION: True}).begin() as connection:
            await _check_target(connection, manifest)
            # In this version's foreign-key order, whatever order the manifest lists.
            for codec in backup_codecs():
                entry = files[codec.name]
                await _insert_table(connection, codec, directory, entry, keyring, progress)
            for codec in backup_codecs():
                if codec.self_references:
                    await _link_self_references(
                        connection, codec, directory / files[codec.name].file
                    )
            await _continue_sequences(connection, backup_codecs())
    finally:
        await engine.dispose()
    return manifest


def _files_by_table(manifest: BackupManifest) -> dict[str, TableFile]:
    """The manifest's files by table; refuses a backup whose tables or columns differ from the
    data model of this version."""
    files = {entry.table: entry for entry in manifest.tables}
    codecs = {codec.name: codec for codec in backup_codecs()}
    if files.keys() != codecs.keys():
        missing, unknown = (
            sorted(codecs.keys() - files.keys()),
            sorted(files.keys() - codecs.keys()),
        )
        raise BackupError(f"the backup's tables differ: missing {missing}, unknown {unknown}")
    for name, entry in files.items():
        if Path(entry.file).name != entry.file:
            raise BackupError(f"{entry.file!r}: a backup's files are inside its directory")
        if entry.columns != codecs[name].columns:
            raise BackupError(f"the columns of {name} differ from this version's")
    return files


def _verify_checksums(directory: Path, manifest: BackupManifest) -> None:
    for entry in manifest.tables:
        path = directory / entry.file
        if not path.is_file():
            raise BackupError(f"{path} is missing")
        if file_sha256(path) != entry.sha256:
            raise BackupError(f"{path} does not match its checksum: the file changed or is damaged")


async def _check_target(connection: AsyncConnection, manifest: BackupManifest) -> None:
    revision = await connection.run_sync(
        lambda sync: MigrationContext.configure(sync).get_current_revision()
    )
    if revision != manifest.alembic_revision:
        raise BackupError(
            f"the target database is at revision {revision}, the backup at "
            f"{manifest.alembic_revision}: migrate an empty database to "
            f"{manifest.alembic_revision} (`crm migrate` of the same version) first"
        )
    filled = [
        codec.name
        for codec in backup_codecs()
        if await connection.scalar(select(exists().select_from(codec.table)))
    ]
    if filled:
        raise BackupError(
            f"the target database is not empty ({', '.join(filled)} have rows): "
            "restore only into a new, migrated database"
        )


async def _insert_table(
    connection: AsyncConnection,
    codec: TableCodec,
    directory: Path,
    entry: TableFile,
    keyring: Keyring,
    progress: Progress | None,
) -> None:
    unchecked_keys = set(codec.encrypted)
    rows = 0
    for lines in read_lines(directory / entry.file, INSERT_ROWS):
        try:
            batch = [codec.decode(line) for line in lines]
        except (ValueError, KeyError) as exc:
            raise BackupError(f"{entry.file} line {rows + 1}+: unreadable row ({exc})") from exc
        unchecked_keys = _check_keys(keyring, codec, batch, unchecked_keys)
        for column in codec.self_references:
            for row in batch:
                row[column] = None  # set by _link_self_references once every row exists
        await _write_batch(connection, codec, batch)
        rows += len(batch)
        if progress is not None:
            progress(codec.name, rows)
    if rows != entry.rows:
        raise BackupError(f"{entry.file} holds {rows} rows, the manifest says {entry.rows}")


async def _write_batch(
    connection: AsyncConnection, codec: TableCodec, batch: list[dict[str, Any]]
) -> None:
    """One batch of rows: with COPY on PostgreSQL (about 1.8 times the rows/s of a prepared
    executemany), one executemany of the INSERT elsewhere."""
    if connection.dialect.name == "postgresql":
        raw = await connection.get_raw_connection()
        await raw.driver_connection.copy_records_to_table(  # type: ignore[union-attr]
            codec.name, records=[codec.copy_record(row) for row in batch], columns=codec.columns
        )
    else:
        await connection.execute(insert(codec.raw), batch)


def _check_keys(
    keyring: Keyring, codec: TableCodec, batch: list[dict[str, Any]], unchecked: set[str]
) -> set[str]:
    """Decrypt the first stored value of each encrypted column: the keys must open the backup."""
    for column in list(unchecked):
        token = next((row[column] for row in batch if row[column] is not None), None)
        if token is None:
            continue
        try:
            keyring.decrypt(token)
        except InvalidToken as exc:
            raise BackupError(
                f"{codec.name}.{column} was encrypted with keys this database's settings do not "
                "hold: set CRM_ENCRYPTION_KEYS (or CRM_SECRET_KEY, in development) as where the "
                "backup was taken"
            ) from exc
        unchecked.discard(column)
    return unchecked


async def _link_self_references(connection: AsyncConnection, codec: TableCodec, path: Path) -> None:
    """Set the columns pointing into the same table, now that every row they point to exists."""
    key = codec.table.primary_key.columns.values()[0].name
    for column in codec.self_references:
        statement = (
            update(codec.raw)
            .where(codec.raw.c[key] == bindparam("_key"))
            .values({column: bindparam("_value")})
        )
        for lines in read_lines(path, INSERT_ROWS):
            batch = [codec.decode(line) for line in lines]
            links = [
                {"_key": row[key], "_value": row[column]}
                for row in batch
                if row[column] is not None
            ]
            if links:
                await connection.execute(statement, links)


async def _continue_sequences(connection: AsyncConnection, codecs: Iterable[TableCodec]) -> None:
    """PostgreSQL: move each serial key's sequence past the restored rows, so new outbox events
    and audit entries continue after them. (SQLite's integer keys take max + 1 by themselves.)"""
    if connection.dialect.name != "postgresql":
        return
    for codec in codecs:
        for key in codec.table.primary_key.columns:
            if not isinstance(key.type, Integer):
                continue
            sequence = await connection.scalar(
                select(func.pg_get_serial_sequence(codec.name, key.name))
            )
            if sequence is None:
                continue
            highest = select(func.max(key)).scalar_subquery()
            await connection.execute(
                select(func.setval(sequence, func.coalesce(highest, 1), highest.is_not(None)))
            )
