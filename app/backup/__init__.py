"""Whole-database backups: every table to JSON Lines and back, with ids, relations and history.

`dump_all(settings, directory)` writes one file per table and a manifest; `restore_all(settings,
directory)` loads them into an empty database at the same schema revision. See docs/backup.md.
"""

from app.backup.dump import dump_all
from app.backup.manifest import BackupError, BackupManifest, TableFile
from app.backup.restore import restore_all

__all__ = ["BackupError", "BackupManifest", "TableFile", "dump_all", "restore_all"]
