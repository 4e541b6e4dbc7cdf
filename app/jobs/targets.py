"""Which outbound URLs this installation may call (webhook endpoints, pulled systems)."""

from __future__ import annotations

from app.settings import Settings
from webhooks.endpoints import TargetPolicy
from webhooks.targets import parse_networks


def target_policy(settings: Settings) -> TargetPolicy:
    """https and public hosts only, unless the settings allow http or name private networks."""
    return TargetPolicy(
        allow_http=settings.webhook_allow_http,
        allowed_networks=parse_networks(settings.webhook_allowed_networks),
    )
