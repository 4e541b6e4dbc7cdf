"""What a connector is: a name, the record types it accepts and how each lands in the CRM."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from integrations.records import Applied, InboundRecord

if TYPE_CHECKING:
    from integrations.context import ApplyContext

Handler = Callable[["ApplyContext", InboundRecord], Awaitable[Applied]]


class NoSettings(BaseModel):
    """Settings of a connector that needs none."""


@dataclass(frozen=True)
class Connector:
    """A kind of external system. Third parties publish one in the `crm.connectors` entry point
    group; each configured system is a connection of a connector."""

    name: str
    description: str
    # Record type (the `type` of an inbound record) -> the function applying it.
    handlers: Mapping[str, Handler]
    # Validates a connection's settings (role maps, fallbacks, pull configuration, ...).
    settings_model: type[BaseModel] = NoSettings
    # Field ownership a new connection starts with: {entity: {field: "source" | "crm"}}.
    default_ownership: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    @property
    def scope(self) -> str:
        """The OAuth2 scope a client needs to send this connector's records."""
        return f"connector:{self.name}"

    def settings(self, raw: Mapping[str, Any]) -> Any:
        """The connection's settings parsed by the connector's model (`pull`, common to every
        connector, is left out)."""
        return self.settings_model.model_validate({k: v for k, v in raw.items() if k != "pull"})
