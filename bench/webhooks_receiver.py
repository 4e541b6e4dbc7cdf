"""A fast loopback webhook receiver for `bench.webhooks`, run as its own process.

`python -m bench.webhooks_receiver` prints its port, then answers every `POST /hooks` with 200
at once (keep-alive, asyncio protocol on uvloop), recording when each `webhook-id` first arrived
(`time.time()`, the clock the committing process reads too) and checking its Standard Webhooks
signature. Control: `POST /reset` (body: `{"secret": "whsec_..."}`), `GET /count`, `GET /stats`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, cast

import httpx
import uvloop

from bench.servers import HOST, ROOT
from webhooks.signing import verify

OK = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\ncontent-type: text/plain\r\n\r\nok"


@dataclass
class Recorder:
    """What arrived since the last reset."""

    secret: str | None = None
    first: dict[str, float] = field(default_factory=dict)
    requests: int = 0
    duplicates: int = 0
    bad_signatures: int = 0

    def hook(self, headers: dict[str, str], body: bytes) -> None:
        received = time.time()
        self.requests += 1
        message_id = headers.get("webhook-id", "")
        if self.secret is not None and not verify(
            self.secret,
            message_id,
            int(headers.get("webhook-timestamp", "0")),
            body,
            headers.get("webhook-signature", ""),
        ):
            self.bad_signatures += 1
        if message_id in self.first:
            self.duplicates += 1
        else:
            self.first[message_id] = received

    def control(self, method: str, path: str, body: bytes) -> bytes:
        if method == "POST" and path == "/reset":
            self.secret = json.loads(body or b"{}").get("secret")
            self.first = {}
            self.requests = self.duplicates = self.bad_signatures = 0
            return _json({"reset": True})
        if path == "/count":
            return _json({"received": len(self.first), "requests": self.requests})
        if path == "/stats":
            return _json(
                {
                    "first": self.first,
                    "requests": self.requests,
                    "duplicates": self.duplicates,
                    "bad_signatures": self.bad_signatures,
                }
            )
        return b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n"


def _json(value: dict[str, Any]) -> bytes:
    body = json.dumps(value).encode()
    head = f"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {len(body)}\r\n"
    return head.encode() + b"\r\n" + body


class _Connection(asyncio.Protocol):
    """HTTP/1.1 with keep-alive and content-length bodies: all the dispatcher sends."""

    def __init__(self, recorder: Recorder) -> None:
        self.recorder = recorder
        self.buffer = bytearray()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while (end := self.buffer.find(b"\r\n\r\n")) >= 0:
            lines = bytes(self.buffer[:end]).decode("latin-1").split("\r\n")
            headers = {}
            for line in lines[1:]:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            length = int(headers.get("content-length", "0"))
            if len(self.buffer) < end + 4 + length:
                return
            body = bytes(self.buffer[end + 4 : end + 4 + length])
            del self.buffer[: end + 4 + length]
            method, path = lines[0].split(" ")[:2]
            if method == "POST" and path == "/hooks":
                self.recorder.hook(headers, body)
                answer = OK
            else:
                answer = self.recorder.control(method, path, body)
            assert self.transport is not None
            self.transport.write(answer)
            if headers.get("connection", "").lower() == "close":
                self.transport.close()
                return


async def _serve() -> None:
    recorder = Recorder()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: _Connection(recorder), HOST, 0, backlog=1024)
    print(server.sockets[0].getsockname()[1], flush=True)
    await server.serve_forever()


@dataclass(frozen=True)
class ReceiverProcess:
    """A running receiver: where hooks go, where to control it, its process id."""

    base_url: str
    pid: int

    @property
    def hooks_url(self) -> str:
        return f"{self.base_url}/hooks"


@contextlib.contextmanager
def running_receiver() -> Iterator[ReceiverProcess]:
    """Start the receiver subprocess for the duration of the block."""
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.webhooks_receiver"], stdout=subprocess.PIPE, cwd=ROOT
    )
    try:
        assert process.stdout is not None
        port = int(process.stdout.readline())
        yield ReceiverProcess(f"http://{HOST}:{port}", process.pid)
    finally:
        process.terminate()
        process.wait(timeout=10)


async def reset(client: httpx.AsyncClient, receiver: ReceiverProcess, secret: str) -> None:
    (await client.post(f"{receiver.base_url}/reset", json={"secret": secret})).raise_for_status()


async def count(client: httpx.AsyncClient, receiver: ReceiverProcess) -> int:
    return int((await client.get(f"{receiver.base_url}/count")).json()["received"])


async def stats(client: httpx.AsyncClient, receiver: ReceiverProcess) -> dict[str, Any]:
    response = await client.get(f"{receiver.base_url}/stats")
    return response.json()  # type: ignore[no-any-return]


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        uvloop.run(_serve())
