"""The real server process, as `make serve` starts it, answering over loopback HTTP."""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

CRM = Path(sys.executable).parent / "crm"
README_QUERY = """
{
  customers(first: 3, orderBy: {field: NAME}) {
    totalCount
    nodes { name contacts(first: 2) { nodes { firstName email } } deals(first: 2) { nodes { name stage { name } } } }
  }
}
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def server(database_url: str, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """`crm serve` on a free port: (base URL, the admin token it printed)."""
    port = _free_port()
    log = tmp_path / "serve.log"
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "CRM_ENV": "development",
        "LOG_LEVEL": "WARNING",
    }
    with log.open("w") as out:
        process = subprocess.Popen(
            [str(CRM), "serve", "--port", str(port)], env=env, stdout=out, stderr=subprocess.STDOUT
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        else:
            pytest.fail(f"server did not start:\n{log.read_text()}")
        lines = log.read_text().splitlines()
        token = lines[
            lines.index(next(line for line in lines if "admin token" in line)) + 1
        ].strip()
        yield base, token
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_served_api_answers_the_readme_query_with_seeded_data(server: tuple[str, str]) -> None:
    base, token = server

    response = httpx.post(
        f"{base}/graphql",
        json={"query": README_QUERY},
        headers={"authorization": f"Bearer {token}"},
    )

    body: dict[str, Any] = response.json()
    assert response.status_code == 200, body
    customers = body["data"]["customers"]
    assert customers["totalCount"] == 50
    assert len(customers["nodes"]) == 3
    assert all(len(node["contacts"]["nodes"]) == 2 for node in customers["nodes"])
    assert httpx.get(f"{base}/readyz").json()["status"] == "ready"


def test_served_api_refuses_requests_without_a_token(server: tuple[str, str]) -> None:
    base, _ = server

    response = httpx.post(f"{base}/graphql", json={"query": README_QUERY})

    assert response.status_code == 401
