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
    # The sender's port: requests on one kept-alive connection share it.
    peer_port: int = 0


@dataclass
class Receiver:
    """Answers each request with the next scripted behaviour; then with 200.

    A behaviour is an HTTP status (int), ("status", code, {headers}) or
    ("status", code, {headers}, body), ("sleep", seconds) (then 200), "hang" (never answer) or
    "close" (drop the connection without answering). The default body is `ok`. With
    `keep_alive`, connections stay open for further requests.
    """

    script: list[object] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    port: int = 0
    keep_alive: bool = False
    in_flight: int = 0
    max_in_flight: int = 0

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
        peer_port = writer.get_extra_info("peername")[1]
        try:
            while await self._answer_one(reader, writer, peer_port) and self.keep_alive:
                pass
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _answer_one(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, peer_port: int
    ) -> bool:
        """Read one request and answer it; False when the connection is done."""
        request_line = (await reader.readline()).decode()
        if not request_line:
            return False
        headers: dict[str, str] = {}
        while (line := (await reader.readline()).decode()) not in ("\r\n", "\n", ""):
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        body = await reader.readexactly(int(headers.get("content-length", "0")))
        self.received.append(
            Received(request_line.split(" ")[1], headers, body, peer_port=peer_port)
        )
        behaviour = self.script.pop(0) if self.script else 200
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if behaviour == "hang":
                await asyncio.sleep(3600)
            if behaviour == "close":
                return False
            if isinstance(behaviour, tuple) and behaviour[0] == "sleep":
                await asyncio.sleep(behaviour[1])
                behaviour = 200
        finally:
            self.in_flight -= 1
        status, extra, answer = _answer(behaviour)
        head = f"HTTP/1.1 {status} X\r\ncontent-length: {len(answer)}\r\n"
        head += "" if self.keep_alive else "connection: close\r\n"
        head += "".join(f"{k}: {v}\r\n" for k, v in extra.items())
        writer.write(head.encode() + b"\r\n" + answer)
        await writer.drain()
        return True


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
