"""Which tables a backup holds, in the order they restore in."""

from __future__ import annotations

from functools import cache

from sqlmodel import SQLModel

import models  # noqa: F401  (registers every table in SQLModel.metadata)
from app.backup.codec import TableCodec


@cache
def backup_codecs() -> tuple[TableCodec, ...]:
    """Every table of the data model, parents before children.

    All of them: history (stage changes, audit log, outbox, deliveries and attempts), replay
    guards (idempotency keys, inbound messages) and job records alike; see docs/backup.md for
    why none is left out. Derived search objects are not tables of the model: the database
    rebuilds them as rows are inserted.
    """
    return tuple(TableCodec.of(table) for table in SQLModel.metadata.sorted_tables)
