"""Webhook targets may only be public hosts: checked at registration and again at connect time.

The addresses a host resolves to are checked, and the delivery connects to exactly the checked
address (the hostname still goes in `Host` and TLS SNI), so a DNS answer that changes between
the check and the connection (DNS rebinding) cannot redirect it to an internal service.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class UnsafeURLError(ValueError):
    """The URL may not receive webhooks."""


@dataclass(frozen=True)
class Target:
    """A checked URL and the address deliveries connect to."""

    url: str
    scheme: str
    host: str
    port: int
    path: str
    address: str

    @property
    def connect_url(self) -> str:
        """The URL with the pinned address in place of the host name."""
        address = f"[{self.address}]" if ":" in self.address else self.address
        return f"{self.scheme}://{address}:{self.port}{self.path}"


def parse_networks(values: Sequence[str]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(value, strict=False) for value in values)


def check_url(url: str, allow_http: bool) -> tuple[str, str, int, str]:
    """Scheme, host, port and path of a URL that is well-formed for a webhook target."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or (parts.scheme == "http" and not allow_http):
        raise UnsafeURLError("the URL must use https")
    if parts.username or parts.password:
        raise UnsafeURLError("the URL must not carry credentials")
    if not parts.hostname:
        raise UnsafeURLError("the URL needs a host")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise UnsafeURLError("the URL has an invalid port") from exc
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return parts.scheme, parts.hostname, port, path


def _allowed(address: str, allowed: Sequence[Network]) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    return ip.is_global or any(ip in network for network in allowed)


async def resolve_target(
    url: str, *, allow_http: bool = False, allowed_networks: Sequence[Network] = ()
) -> Target:
    """Check a URL and resolve its host; every address must be public or explicitly allowed."""
    scheme, host, port, path = check_url(url, allow_http)
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise UnsafeURLError(f"cannot resolve {host}") from exc
    addresses = sorted({str(info[4][0]) for info in infos})
    refused = [address for address in addresses if not _allowed(address, allowed_networks)]
    if not addresses or refused:
        raise UnsafeURLError(f"{host} resolves to a non-public address ({', '.join(refused)})")
    return Target(url, scheme, host, port, path, addresses[0])
