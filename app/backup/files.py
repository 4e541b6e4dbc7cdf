"""The table files of a backup: written in chunks while hashed, read back line by line."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType

CHUNK_BYTES = 1 << 20


class HashingWriter:
    """Writes a file and its SHA-256 in one pass; the file is flushed to disk when closed."""

    def __init__(self, path: Path) -> None:
        self._stream = path.open("wb")
        self._hash = hashlib.sha256()

    def write(self, data: bytes) -> None:
        self._stream.write(data)
        self._hash.update(data)

    @property
    def sha256(self) -> str:
        return self._hash.hexdigest()

    def __enter__(self) -> HashingWriter:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stream.flush()
        os.fsync(self._stream.fileno())
        self._stream.close()


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def read_lines(path: Path, batch_size: int) -> Iterator[list[str]]:
    """The file's lines in lists of up to `batch_size`."""
    batch: list[str] = []
    with path.open("r", encoding="utf-8") as stream:
        for line in stream:
            batch.append(line)
            if len(batch) >= batch_size:
                yield batch
                batch = []
    if batch:
        yield batch
