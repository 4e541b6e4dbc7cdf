"""One signed POST per attempt, to the address the endpoint's host resolved to and was checked.

Connections are kept alive across attempts. Each host name gets a client of its own, so a
connection opened (and TLS-verified) for one host is never reused for a request to another
host that happens to resolve to the same address.
"""

from __future__ import annotations

import ssl
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import httpx

from models import utcnow
from webhooks.claims import Claimed
from webhooks.schedule import parse_retry_after
from webhooks.signing import signature_headers
from webhooks.targets import Network, UnsafeURLError, resolve_target


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    error: str | None
    excerpt: str | None
    duration_ms: int
    retry_after: timedelta | None
    started_at: datetime = field(default_factory=utcnow)

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


@dataclass
class Sender:
    """Sends attempts; holds keep-alive clients until `aclose`."""

    timeout_seconds: float = 10.0
    max_response_bytes: int = 2048
    allow_http: bool = False
    allowed_networks: tuple[Network, ...] = ()
    _clients: dict[str, httpx.AsyncClient] = field(default_factory=dict)
    _tls: ssl.SSLContext | None = None

    def client_for(self, host: str) -> httpx.AsyncClient:
        """The keep-alive client for one host name (created on first use)."""
        client = self._clients.get(host)
        if client is None:
            if self._tls is None:
                self._tls = httpx.create_ssl_context()
            client = httpx.AsyncClient(
                timeout=self.timeout_seconds, follow_redirects=False, verify=self._tls
            )
            self._clients[host] = client
        return client

    async def send(self, item: Claimed) -> Outcome:
        """One signed POST to the pinned address of the endpoint; never follows redirects."""
        started_at, started = utcnow(), time.perf_counter()

        def outcome(
            status: int | None,
            error: str | None,
            excerpt: str | None = None,
            retry_after: timedelta | None = None,
        ) -> Outcome:
            elapsed = int((time.perf_counter() - started) * 1000)
            return Outcome(status, error, excerpt, elapsed, retry_after, started_at)

        try:
            target = await resolve_target(
                item.url, allow_http=self.allow_http, allowed_networks=self.allowed_networks
            )
            headers = {
                "content-type": "application/json",
                "user-agent": "crm-webhooks/1",
                "host": target.host if target.port in (80, 443) else f"{target.host}:{target.port}",
                **signature_headers(item.secrets, item.event_id, int(time.time()), item.body),
            }
            client = self.client_for(target.host)
            request = client.build_request(
                "POST",
                target.connect_url,
                content=item.body,
                headers=headers,
                extensions={"sni_hostname": target.host},
            )
            response = await client.send(request, stream=True)
            try:
                excerpt = await _read_capped(response, self.max_response_bytes)
            finally:
                await response.aclose()
            retry_after = parse_retry_after(response.headers.get("retry-after"))
            return outcome(response.status_code, None, excerpt, retry_after)
        except UnsafeURLError as exc:
            return outcome(None, f"refused target: {exc}")
        except httpx.HTTPError as exc:
            return outcome(None, f"{type(exc).__name__}: {exc}"[:500])

    async def aclose(self) -> None:
        clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            await client.aclose()


async def _read_capped(response: httpx.Response, limit: int) -> str:
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        chunks.append(chunk)
        size += len(chunk)
        if size >= limit:
            break
    return b"".join(chunks)[:limit].decode(errors="replace")
