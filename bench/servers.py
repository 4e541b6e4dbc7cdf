"""API and raw servers as uvicorn subprocesses on free loopback ports."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
GRAPHQL_APP = "app.http.asgi:create_app"
RAW_APP = "bench.raw_app:create_raw_app"


@dataclass(frozen=True)
class Server:
    """A running server: its base URL and process id."""

    base_url: str
    pid: int


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def server_env(database_url: str, secret_key: str) -> dict[str, str]:
    """The environment of a production-mode server over ``database_url``."""
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "CRM_ENV": "production",
        "CRM_SECRET_KEY": secret_key,
        "LOG_LEVEL": "WARNING",
        # The load generator is one principal; the rate limit would measure itself.
        "RATE_LIMIT_PER_SECOND": "1000000",
        "RATE_LIMIT_BURST": "1000000",
        "PYTHONPATH": str(ROOT),
    }


def _wait_ready(process: subprocess.Popen[bytes], base_url: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with status {process.returncode}")
        try:
            if httpx.get(f"{base_url}/healthz", timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"server at {base_url} not ready after {timeout} s")


@contextmanager
def serve(app_factory: str, env: dict[str, str], timeout: float = 30.0) -> Iterator[Server]:
    """Run ``app_factory`` under one uvicorn worker until the block exits."""
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        app_factory,
        "--factory",
        "--host",
        HOST,
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    process = subprocess.Popen(command, env=env, cwd=ROOT)
    base_url = f"http://{HOST}:{port}"
    try:
        _wait_ready(process, base_url, timeout)
        yield Server(base_url, process.pid)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
