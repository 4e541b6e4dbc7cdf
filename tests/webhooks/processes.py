"""`crm serve` and `crm worker` as subprocesses, configured to deliver webhooks to loopback."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

CRM = Path(sys.executable).parent / "crm"


@dataclass(frozen=True)
class Served:
    base: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"authorization": f"Bearer {self.token}"}


def environment(database_url: str, **extra: str) -> dict[str, str]:
    """The environment of a process delivering to 127.0.0.0/8 over http; REDIS_URL only if given."""
    env = {key: value for key, value in os.environ.items() if key != "REDIS_URL"}
    return {
        **env,
        "DATABASE_URL": database_url,
        "CRM_ENV": "development",
        "LOG_LEVEL": "WARNING",
        "WEBHOOK_ALLOW_HTTP": "true",
        "WEBHOOK_ALLOWED_NETWORKS": '["127.0.0.0/8"]',
        **extra,
    }


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def serving(env: dict[str, str], log: Path) -> Iterator[Served]:
    """`crm serve` on a free port, until the block ends: its URL and the admin token it printed."""
    port = _free_port()
    with log.open("w") as out:
        process = subprocess.Popen(
            [str(CRM), "serve", "--port", str(port)], env=env, stdout=out, stderr=subprocess.STDOUT
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and process.poll() is None:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            pytest.fail(f"server did not start:\n{log.read_text()}")
        lines = log.read_text().splitlines()
        marker = next(i for i, line in enumerate(lines) if "admin token" in line)
        yield Served(base, lines[marker + 1].strip())
    finally:
        process.terminate()
        process.wait(timeout=20)


@contextlib.contextmanager
def working(env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """`crm worker` until the block ends (or the test kills it)."""
    with log.open("a") as out:
        process = subprocess.Popen(
            [str(CRM), "worker"], env=env, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
