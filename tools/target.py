"""A production-mode `crm serve` on a fresh, seeded SQLite database, for the fuzzer and audits."""

from __future__ import annotations

import secrets
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench.dataset import BENCH_ENCRYPTION_KEY, BENCH_HASH_KEY
from bench.servers import ROOT, free_port, server_env

HOST = "127.0.0.1"


@dataclass(frozen=True)
class Target:
    """The server under test: its GraphQL URL, a bearer token per role, its log file and the
    environment it runs in (for `crm` commands against its database)."""

    url: str
    tokens: dict[str, str]
    log: Path
    env: dict[str, str]

    @property
    def base_url(self) -> str:
        return self.url.removesuffix("/graphql")

    def client_token(self, name: str, scopes: tuple[str, ...]) -> str:
        """Register an API client with ``scopes`` (`crm clients create`) and get its token at
        /oauth/token, as a partner does behind a TLS-terminating proxy."""
        args = [arg for scope in scopes for arg in ("--scope", scope)]
        printed = dict(
            line.split(maxsplit=1)
            for line in _crm(self.env, "clients", "create", name, *args).splitlines()
        )
        response = httpx.post(
            f"{self.base_url}/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=(printed["client_id"], printed["client_secret"]),
            headers={"X-Forwarded-Proto": "https"},
        )
        response.raise_for_status()
        return str(response.json()["access_token"])


def _crm(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "app.cli.main", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise RuntimeError(f"crm {' '.join(args)} failed:\n{done.stderr}")
    return done.stdout.strip()


def _wait_ready(process: subprocess.Popen[bytes], base_url: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"crm serve exited with status {process.returncode}")
        try:
            if httpx.get(f"{base_url}/readyz", timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"crm serve at {base_url} not ready after {timeout} s")


def production_env(folder: Path, *, rate_limited: bool) -> dict[str, str]:
    """Production settings over a database in ``folder``, with throwaway keys."""
    env = server_env(f"sqlite+aiosqlite:///{folder / 'crm.db'}", secrets.token_urlsafe(32))
    env.update(
        CRM_ENCRYPTION_KEYS=BENCH_ENCRYPTION_KEY,
        CRM_HASH_KEY=BENCH_HASH_KEY,
        FILES_DIR=str(folder / "files"),
        LOG_LEVEL="INFO",  # the access log counts the requests
        CRM_TOKEN_TTL_SECONDS="86400",  # outlives any run
    )
    for name in ("GRAPHQL_BATCHING", "GRAPHQL_EXECUTOR"):
        env.pop(name, None)  # production defaults, whatever the caller's shell sets
    if rate_limited:  # the defaults; the fuzzer alone would otherwise measure the rate limit
        for name in ("RATE_LIMIT_PER_SECOND", "RATE_LIMIT_BURST"):
            env.pop(name, None)
    return env


@contextmanager
def production_server(
    log: Path,
    roles: tuple[str, ...] = ("admin", "read_only"),
    *,
    customers: int = 20,
    rate_limited: bool = False,
) -> Iterator[Target]:
    """Seed a database in a temporary folder, then `crm serve` it in production mode, its JSON
    log lines going to ``log``."""
    with tempfile.TemporaryDirectory(prefix="crm-target-") as name:
        folder = Path(name)
        env = production_env(folder, rate_limited=rate_limited)
        _crm(env, "seed", "--customers", str(customers))
        tokens = {role: _crm(env, "token", "--role", role) for role in roles}
        port = free_port()
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("wb") as sink:
            command = [
                sys.executable,
                "-m",
                "app.cli.main",
                "serve",
                "--host",
                HOST,
                "--port",
                str(port),
            ]
            process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=sink, stderr=sink)
            base_url = f"http://{HOST}:{port}"
            try:
                _wait_ready(process, base_url, timeout=60.0)
                yield Target(f"{base_url}/graphql", tokens, log, env)
            finally:
                process.terminate()
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
