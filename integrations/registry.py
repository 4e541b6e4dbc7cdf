"""The connectors this installation knows: the built-in ones and those other packages publish
in the `crm.connectors` entry point group."""

from __future__ import annotations

import logging
from functools import cache
from importlib.metadata import entry_points

from integrations.connector import Connector

ENTRY_POINT_GROUP = "crm.connectors"
_BUILT_IN = "integrations."

logger = logging.getLogger("crm.integrations")


@cache
def connectors() -> dict[str, Connector]:
    """Every connector by name; an entry point that fails to load is logged and skipped.

    The built-in ones (this project's own entry points) come first and win a name clash.
    """
    found: dict[str, Connector] = {}
    group = entry_points(group=ENTRY_POINT_GROUP)
    for entry_point in sorted(group, key=lambda point: not point.value.startswith(_BUILT_IN)):
        try:
            connector = entry_point.load()
        except Exception:
            logger.exception("connector entry point %s failed to load", entry_point.name)
            continue
        if not isinstance(connector, Connector):
            logger.error("entry point %s is not a Connector", entry_point.name)
            continue
        if connector.name in found and found[connector.name] is not connector:
            logger.error("connector %r is defined twice; keeping the first", connector.name)
            continue
        found[connector.name] = connector
    return found


def get_connector(name: str) -> Connector | None:
    return connectors().get(name)


def reload_connectors() -> None:
    """Forget what was discovered (after installing a package at run time, and in tests)."""
    connectors.cache_clear()
