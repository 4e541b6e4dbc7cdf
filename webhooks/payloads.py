"""The body receivers get: the Standard Webhooks envelope around one outbox event."""

from __future__ import annotations

import json
from typing import Any

API_VERSION = "2026-11-01"


def envelope(event: Any) -> dict[str, Any]:
    """`{id, type, timestamp, api_version, sequence, data}`; `data` holds the record after the
    change (`object`) and, for updates, each changed field's `old` and `new` value (`changes`)."""
    data: dict[str, Any] = {"entity_type": event.entity_type, "entity_id": str(event.entity_id)}
    data.update(event.payload)
    return {
        "id": str(event.id),
        "type": event.type,
        "timestamp": event.occurred_at.isoformat().replace("+00:00", "Z"),
        "api_version": API_VERSION,
        "sequence": event.sequence,
        "data": data,
    }


def encode(body: dict[str, Any]) -> bytes:
    return json.dumps(body, separators=(",", ":"), sort_keys=True).encode()
