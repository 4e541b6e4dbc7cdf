"""Reading import files: CSV (any common delimiter and encoding) and JSON Lines, record by record
with the byte offset after each record, so that an import can resume where it stopped."""

from __future__ import annotations

import codecs
import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, NamedTuple

from models.bulk import FileFormat

DELIMITERS = (",", ";", "\t", "|")
SNIFF_BYTES = 1 << 20
# Files starting with these are transcoded to UTF-8 first: their newlines are not one byte.
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


class FileFormatError(ValueError):
    """The file cannot be read at all (no header, unknown encoding, not JSON Lines)."""


class Record(NamedTuple):
    """One record of the file: its 1-based row number (the header is row 0 in a CSV file), its
    fields by column name, and the byte offset where the next record starts."""

    row_number: int
    fields: dict[str, Any]
    end_offset: int
    # Why the record cannot be read (bad encoding, not a JSON object, too many values).
    problem: str | None = None


@dataclass(frozen=True)
class Dialect:
    """How a file is read: found by `sniff`, kept in the job's options so a resume reads alike."""

    file_format: FileFormat
    encoding: str = "utf-8"
    delimiter: str = ","

    def as_options(self) -> dict[str, str]:
        return {"encoding": self.encoding, "delimiter": self.delimiter}


def format_of(file_name: str) -> FileFormat:
    """JSON Lines for `.jsonl`/`.ndjson`/`.json` names, CSV otherwise."""
    suffix = Path(file_name).suffix.lower()
    return FileFormat.JSONL if suffix in (".jsonl", ".ndjson", ".json") else FileFormat.CSV


def needs_transcoding(path: Path) -> bool:
    with path.open("rb") as file:
        return file.read(2) in _UTF16_BOMS


def transcode_to_utf8(source: Path, target: Path) -> None:
    """Copy a UTF-16 file (with BOM) as UTF-8, streamed."""
    with (
        source.open("r", encoding="utf-16", newline="") as reader,
        target.open("w", encoding="utf-8", newline="") as writer,
    ):
        while chunk := reader.read(1 << 16):
            writer.write(chunk)


def _encoding_of(sample: bytes) -> str:
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
    except UnicodeDecodeError:
        try:
            sample.decode("cp1252")
        except UnicodeDecodeError:
            return "latin-1"
        return "cp1252"
    return "utf-8"


def sniff(path: Path, file_format: FileFormat) -> Dialect:
    """The encoding (UTF-8 with or without BOM, else cp1252 or Latin-1) and, for CSV, the
    delimiter the header line uses most among `,` `;` tab and `|`."""
    with path.open("rb") as file:
        sample = file.read(SNIFF_BYTES)
    encoding = _encoding_of(sample)
    if file_format == FileFormat.JSONL:
        return Dialect(file_format, encoding)
    text = sample.decode(encoding, errors="replace")
    header = text.splitlines()[0] if text.strip() else ""
    if not header.strip():
        raise FileFormatError("the file is empty: a header row is required")
    delimiter = max(DELIMITERS, key=header.count)
    return Dialect(file_format, encoding, delimiter)


class _Lines:
    """The decoded lines of a binary file, counting the bytes consumed."""

    def __init__(self, file: IO[bytes], encoding: str, offset: int) -> None:
        self.file = file
        self.encoding = "utf-8" if encoding == "utf-8-sig" else encoding
        self.offset = offset
        self.undecodable = False

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        line = self.file.readline()
        if not line:
            raise StopIteration
        if self.offset == 0 and line.startswith(codecs.BOM_UTF8):
            self.offset += len(codecs.BOM_UTF8)
            line = line[len(codecs.BOM_UTF8) :]
        self.offset += len(line)
        try:
            return line.decode(self.encoding)
        except UnicodeDecodeError:
            self.undecodable = True
            return line.decode(self.encoding, errors="replace")


def read_header(path: Path, dialect: Dialect) -> tuple[list[str], int]:
    """The CSV header's column names and the offset of the first record."""
    with path.open("rb") as file:
        lines = _Lines(file, dialect.encoding, 0)
        header = next(csv.reader(lines, delimiter=dialect.delimiter), None)
        if not header or not any(name.strip() for name in header):
            raise FileFormatError("the file has no header row")
        return header, lines.offset


def read_records(
    path: Path, dialect: Dialect, offset: int = 0, row_number: int = 0
) -> Iterator[Record]:
    """The records after ``offset`` (0: from the start), numbered after ``row_number``."""
    if dialect.file_format == FileFormat.JSONL:
        yield from _jsonl_records(path, dialect, offset, row_number)
    else:
        yield from _csv_records(path, dialect, offset, row_number)


def _csv_records(path: Path, dialect: Dialect, offset: int, row_number: int) -> Iterator[Record]:
    header, first = read_header(path, dialect)
    columns = [name.strip() for name in header]
    with path.open("rb") as file:
        start = max(offset, first)
        file.seek(start)
        lines = _Lines(file, dialect.encoding, start)
        width = len(columns)
        for values in csv.reader(lines, delimiter=dialect.delimiter):
            row_number += 1
            if not "".join(values).strip():
                continue  # blank lines are not records
            fields: dict[str, Any] = dict(zip(columns, values, strict=False))
            problem = _problem(lines) if lines.undecodable else None
            if problem is None and len(values) > width:
                problem = f"{len(values)} values for {width} header columns"
            yield Record(row_number, fields, lines.offset, problem)


def _jsonl_records(path: Path, dialect: Dialect, offset: int, row_number: int) -> Iterator[Record]:
    with path.open("rb") as file:
        file.seek(offset)
        lines = _Lines(file, dialect.encoding, offset)
        for line in lines:
            row_number += 1
            if not line.strip():
                continue
            problem = _problem(lines)
            try:
                value = json.loads(line)
            except ValueError:
                value = None
            if isinstance(value, dict):
                yield Record(row_number, value, lines.offset, problem)
            else:
                yield Record(row_number, {}, lines.offset, problem or "not a JSON object")


def _problem(lines: _Lines) -> str | None:
    undecodable, lines.undecodable = lines.undecodable, False
    return f"not valid {lines.encoding}" if undecodable else None


@dataclass(frozen=True)
class StoredFile:
    """An uploaded file, already written to the files directory by the HTTP layer."""

    path: Path
    file_name: str
    size: int
    sha256: str = ""
