"""The composition root: connects the domains to the kernel, once per process.

Every entry point (the ASGI app, the worker, the CLI, the test suite) calls `install` before it
touches the database; the kernel refuses to read rows, write changes or commit events until it
has, so a process cannot run with the wiring missing.
"""

from __future__ import annotations

from integrations.ownership import check_ownership
from kernel.bus import bus
from kernel.guards import install_write_guards
from kernel.visibility import install_row_rules
from resolvers.customers import visibility as customers
from resolvers.deals import visibility as deals
from resolvers.tickets import visibility as tickets
from webhooks.routing import route_events


def install() -> None:
    """Install the row visibility rules, the write guards and the event routers."""
    install_row_rules(customers.ROW_RULES, deals.ROW_RULES, tickets.ROW_RULES)
    install_write_guards(check_ownership)
    bus.add_router(route_events)
