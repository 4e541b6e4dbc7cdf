"""The backup manifest: what a backup directory holds, written last so a complete backup has one."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

FORMAT = "crm-backup"
FORMAT_VERSION = 1
MANIFEST_NAME = "manifest.json"


class BackupError(RuntimeError):
    """A backup cannot be written or restored; the message says why and what to do."""


@dataclass(frozen=True)
class TableFile:
    """One table's JSON Lines file: its rows, their columns and the file's SHA-256."""

    table: str
    file: str
    rows: int
    sha256: str
    columns: tuple[str, ...]


@dataclass(frozen=True)
class BackupManifest:
    """A backup: the schema revision it needs, when it was taken, and every table's file in the
    order they restore in (parents before children)."""

    format_version: int
    created_at: datetime
    alembic_revision: str
    source_dialect: str
    tables: tuple[TableFile, ...]

    @property
    def row_counts(self) -> dict[str, int]:
        return {entry.table: entry.rows for entry in self.tables}

    @property
    def total_rows(self) -> int:
        return sum(entry.rows for entry in self.tables)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "format_version": self.format_version,
            "created_at": self.created_at.isoformat(),
            "alembic_revision": self.alembic_revision,
            "source_dialect": self.source_dialect,
            "tables": [
                {
                    "table": entry.table,
                    "file": entry.file,
                    "rows": entry.rows,
                    "sha256": entry.sha256,
                    "columns": list(entry.columns),
                }
                for entry in self.tables
            ],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> BackupManifest:
        if data.get("format") != FORMAT or data.get("format_version") != FORMAT_VERSION:
            raise BackupError(
                f"not a {FORMAT} version {FORMAT_VERSION} manifest "
                f"(format {data.get('format')!r}, version {data.get('format_version')!r})"
            )
        return cls(
            format_version=data["format_version"],
            created_at=datetime.fromisoformat(data["created_at"]),
            alembic_revision=data["alembic_revision"],
            source_dialect=data["source_dialect"],
            tables=tuple(
                TableFile(
                    table=entry["table"],
                    file=entry["file"],
                    rows=entry["rows"],
                    sha256=entry["sha256"],
                    columns=tuple(entry["columns"]),
                )
                for entry in data["tables"]
            ),
        )


def write_manifest(directory: Path, manifest: BackupManifest) -> None:
    """Write the manifest atomically: a reader sees no manifest or the whole of it."""
    temporary = directory / f".{MANIFEST_NAME}.tmp"
    with temporary.open("w", encoding="utf-8") as stream:
        json.dump(manifest.to_json(), stream, indent=2)
        stream.write("\n")
        stream.flush()
        os.fsync(stream.fileno())
    temporary.replace(directory / MANIFEST_NAME)


def read_manifest(directory: Path) -> BackupManifest:
    """The manifest of a complete backup; `BackupError` when there is none or it is unreadable."""
    path = directory / MANIFEST_NAME
    if not path.is_file():
        raise BackupError(f"{path} not found: not a backup directory, or the backup did not finish")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return BackupManifest.from_json(data)
    except (ValueError, KeyError, TypeError) as exc:
        raise BackupError(f"{path} is not a readable backup manifest: {exc}") from exc
