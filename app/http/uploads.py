"""File uploads to `/graphql` (the GraphQL multipart request spec): each file is copied to the
files directory as it is read, and its variable becomes a `StoredFile`."""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from typing import Any

from starlette.datastructures import UploadFile
from starlette.requests import Request

from app.settings import Settings
from resolvers.bulk.formats import StoredFile

MULTIPART = "multipart/form-data"
CHUNK = 1 << 20
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


class UploadError(Exception):
    """A multipart request that cannot be used; ``status`` is the HTTP status to answer with."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def is_multipart(request: Request) -> bool:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    return request.method == "POST" and content_type == MULTIPART


async def multipart_params(request: Request, settings: Settings) -> Any:
    """The operations of a multipart request, with each mapped variable set to its stored file."""
    limit = settings.import_max_upload_bytes + settings.max_body_bytes
    length = request.headers.get("content-length")
    if length is None or not length.isdigit():
        raise UploadError(411, "uploads need a Content-Length")
    if int(length) > limit:
        raise UploadError(413, f"upload over {settings.import_max_upload_bytes} bytes")
    try:
        form = await request.form(max_files=1, max_fields=2, max_part_size=settings.max_body_bytes)
    except Exception as exc:  # starlette raises its own parse errors for malformed bodies
        raise UploadError(400, f"malformed multipart body: {exc}") from exc
    try:
        operations = json.loads(str(form.get("operations")))
        files_map = json.loads(str(form.get("map")))
    except ValueError as exc:
        await form.close()
        raise UploadError(400, "`operations` and `map` must be JSON") from exc
    if not isinstance(files_map, dict):
        raise UploadError(400, "`map` must be an object")
    try:
        for key, paths in files_map.items():
            upload = form.get(key)
            if not isinstance(upload, UploadFile) or not isinstance(paths, list):
                raise UploadError(400, f"no file {key!r} for the map")
            stored = await _store(upload, settings)
            for path in paths:
                _set(operations, str(path), stored)
    finally:
        await form.close()
    return operations


async def _store(upload: UploadFile, settings: Settings) -> StoredFile:
    name = upload.filename or "upload"
    directory = settings.files_dir / "uploads"
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{uuid.uuid4()}-{_UNSAFE.sub('_', name)[-100:]}"
    size = 0
    digest = hashlib.sha256()
    with path.open("wb") as file:
        while chunk := await upload.read(CHUNK):
            size += len(chunk)
            digest.update(chunk)
            if size > settings.import_max_upload_bytes:
                file.close()
                path.unlink(missing_ok=True)
                raise UploadError(413, f"upload over {settings.import_max_upload_bytes} bytes")
            file.write(chunk)
    return StoredFile(path, name, size, digest.hexdigest())


def comparable(params: Any) -> Any:
    """The parameters with each stored file replaced by its name, size and SHA-256: what an
    `Idempotency-Key` fingerprint compares (each upload is stored under a new path)."""
    if isinstance(params, StoredFile):
        return {"upload": params.file_name, "size": params.size, "sha256": params.sha256}
    if isinstance(params, dict):
        return {key: comparable(value) for key, value in params.items()}
    if isinstance(params, list):
        return [comparable(value) for value in params]
    return params


def discard_uploads(params: Any) -> None:
    """Delete the files a request stored that will not be used (a replayed or refused request)."""
    if isinstance(params, StoredFile):
        params.path.unlink(missing_ok=True)
    elif isinstance(params, dict | list):
        for value in params.values() if isinstance(params, dict) else params:
            discard_uploads(value)


def _set(operations: Any, dotted: str, value: StoredFile) -> None:
    """Put ``value`` at a path like `variables.file` (or `0.variables.file` in a batch)."""
    *parents, last = dotted.split(".")
    target = operations
    try:
        for part in parents:
            target = target[int(part)] if isinstance(target, list) else target[part]
        if isinstance(target, list):
            target[int(last)] = value
        elif isinstance(target, dict) and last in target:
            target[last] = value
        else:
            raise KeyError(last)
    except (KeyError, IndexError, ValueError, TypeError) as exc:
        raise UploadError(400, f"the map names {dotted!r}, which operations do not have") from exc
