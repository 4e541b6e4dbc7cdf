"""Webhook URLs must point at public hosts unless an allowlist names the network."""

import pytest

from webhooks.targets import UnsafeURLError, parse_networks, resolve_target


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hook",
        "https://localhost/hook",
        "https://10.1.2.3/hook",
        "https://192.168.1.10/hook",
        "https://172.16.0.5/hook",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/hook",
        "https://0.0.0.0/hook",
    ],
)
async def test_private_and_loopback_targets_are_refused(url: str) -> None:
    with pytest.raises(UnsafeURLError):
        await resolve_target(url)


@pytest.mark.parametrize(
    "url",
    ["ftp://example.com/x", "https://user:pw@example.com/x", "https:///nohost", "http://8.8.8.8/x"],
)
async def test_malformed_or_plain_http_urls_are_refused(url: str) -> None:
    with pytest.raises(UnsafeURLError):
        await resolve_target(url)


async def test_public_address_is_accepted_and_pinned() -> None:
    target = await resolve_target("https://8.8.8.8:8443/hooks?x=1")

    assert (target.host, target.port, target.address) == ("8.8.8.8", 8443, "8.8.8.8")
    assert target.connect_url == "https://8.8.8.8:8443/hooks?x=1"


async def test_allowlisted_network_and_http_are_accepted_for_development() -> None:
    target = await resolve_target(
        "http://127.0.0.1:9000/hook",
        allow_http=True,
        allowed_networks=parse_networks(["127.0.0.0/8"]),
    )

    assert target.connect_url == "http://127.0.0.1:9000/hook"
