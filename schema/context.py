"""The per-request context every resolver reads: who asks, how to reach the database, loaders."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kernel.loaders import Loaders
from kernel.principal import Principal
from webhooks.endpoints import TargetPolicy


@dataclass
class Context:
    principal: Principal
    session_factory: async_sessionmaker[AsyncSession]
    request_id: str
    request: Any = None
    # Which URLs may receive webhooks (https and public hosts, unless settings allow more).
    webhook_policy: TargetPolicy = field(default_factory=TargetPolicy)
    # The ISO 4217 code reports convert amounts to.
    reporting_currency: str = "EUR"
    loaders: Loaders = field(init=False)

    def __post_init__(self) -> None:
        self.loaders = Loaders(self.session_factory, self.principal)


Info = strawberry.Info[Context, None]
