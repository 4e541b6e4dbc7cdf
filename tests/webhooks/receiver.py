"""A tiny HTTP receiver on loopback that answers as a test scripts it: the stand-in for an ERP."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float = field(default_factory=time.monotonic)


@dataclass
class Receiver:
    """Answers each request with the next scripted behaviour; then with 200.

    A behaviour is an HTTP status (int), ("status", code, {headers}) or
    ("status", code, {headers}, body), "hang" (never answer) or "close" (drop the connection
    without answering). The default body is `ok`.
    """

    script: list[object] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    async def wait_for(self, count: int, within: float) -> list[Received]:
        """The first `count` requests, once they have arrived; fails after `within` seconds."""
        deadline = time.monotonic() + within
        while len(self.received) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"{len(self.received)} of {count} requests in {within} s")
            await asyncio.sleep(0.005)
        return self.received[:count]

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request_line = (await reader.readline()).decode()
            headers: dict[str, str] = {}
            while (line := (await reader.readline()).decode()) not in ("\r\n", "\n", ""):
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            self.received.append(Received(request_line.split(" ")[1], headers, body))
            behaviour = self.script.pop(0) if self.script else 200
            if behaviour == "hang":
                await asyncio.sleep(3600)
            if behaviour == "close":
                return
            status, extra, answer = _answer(behaviour)
            head = f"HTTP/1.1 {status} X\r\ncontent-length: {len(answer)}\r\n"
            head += "connection: close\r\n"
            head += "".join(f"{k}: {v}\r\n" for k, v in extra.items())
            writer.write(head.encode() + b"\r\n" + answer)
            await writer.drain()
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()


def _answer(behaviour: object) -> tuple[int, dict[str, str], bytes]:
    if isinstance(behaviour, int):
        return behaviour, {}, b"ok"
    assert isinstance(behaviour, tuple), behaviour
    assert behaviour[0] == "status", behaviour
    body = behaviour[3] if len(behaviour) > 3 else b"ok"
    return behaviour[1], behaviour[2], body


@contextlib.asynccontextmanager
async def running(receiver: Receiver) -> AsyncIterator[Receiver]:
    server = await asyncio.start_server(receiver._handle, "127.0.0.1", 0)
    receiver.port = server.sockets[0].getsockname()[1]
    try:
        yield receiver
    finally:
        server.close()
