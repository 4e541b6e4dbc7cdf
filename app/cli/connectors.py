"""`crm connectors list|create|rotate|pause|resume|pull`: connections from the terminal."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from sqlalchemy import select

from app.cli.privacy import operator
from app.db import create_engine, create_session_factory
from app.jobs.pull import pull_once
from app.settings import Settings
from integrations import connections as service
from integrations.registry import connectors
from kernel.errors import ServiceError
from kernel.tables import table_of
from kernel.unit_of_work import unit_of_work
from models.integrations import Connection


def add_commands(commands: Any) -> None:
    """Register `crm connectors ...` on the `crm` parser's subcommands."""
    parser = commands.add_parser("connectors", help="connections to ERP, HRM and partner systems")
    actions = parser.add_subparsers(dest="action", required=True)
    actions.add_parser("list", help="installed connectors and connections with their status")
    create = actions.add_parser("create", help="connect a system; prints its inbound secret once")
    create.add_argument("name")
    create.add_argument("--connector", required=True, choices=sorted(connectors()))
    create.add_argument("--settings", type=json.loads, default={}, help="JSON object")
    create.add_argument("--echo", action="store_true", help="send its own changes back to it")
    for action, text in (
        ("rotate", "issue a new inbound secret (the old one works for 24 hours)"),
        ("pause", "refuse inbound batches (503) and stop pulling"),
        ("resume", "resume a paused connection"),
    ):
        actions.add_parser(action, help=text).add_argument("name")
    pull = actions.add_parser("pull", help="pull now: one connection, or every one that is due")
    pull.add_argument("name", nargs="?")


async def run(settings: Settings, args: argparse.Namespace) -> str:
    """Run one `crm connectors` action; the text to print."""
    engine = create_engine(settings.database_url)
    factory = create_session_factory(engine)
    try:
        if args.action == "list":
            return await _list(factory)
        if args.action == "pull":
            return await _pull(settings, factory, args.name)
        async with unit_of_work(factory) as session:
            principal = operator()
            if args.action == "create":
                data = {"name": args.name, "connector": args.connector, "settings": args.settings}
                _, secret = await service.create_connection(
                    session, principal, data | {"echo": args.echo}
                )
                print("Store the secret now: it is not shown again.", file=sys.stderr)
                return f"secret {secret}"
            connection = await service.connection_named(session, args.name)
            if connection is None:
                raise SystemExit(f"error: no connection named {args.name!r}")
            if args.action == "rotate":
                _, secret = await service.rotate_connection_secret(
                    session, principal, connection.id
                )
                return f"secret {secret}"
            active = args.action == "resume"
            await service.set_connection_active(session, principal, connection.id, active)
            return f"{args.name} {'resumed' if active else 'paused'}"
    except ServiceError as exc:
        raise SystemExit(f"error: {exc}") from exc
    finally:
        await engine.dispose()


async def _list(factory: Any) -> str:
    lines = [f"connector {c.name}\t{c.description}" for c in connectors().values()]
    async with factory() as session:
        rows = (await session.execute(select(table_of(Connection)).order_by("name"))).all()
    lines += [
        f"connection {r.name}\t{r.connector}\t{r.state}\tapplied {r.applied_count} "
        f"unchanged {r.unchanged_count} stale {r.stale_count} rejected {r.rejected_count}"
        f"\tlast error: {r.last_error or '-'}"
        for r in rows
    ]
    return "\n".join(lines)


async def _pull(settings: Settings, factory: Any, name: str | None) -> str:
    try:
        results = await pull_once(settings, factory, name)
    except LookupError as exc:
        raise SystemExit(f"error: {exc}") from exc
    return "\n".join(
        f"{r.connection}\t{r.pages} page(s)\t{r.records} record(s)\tcursor {r.cursor}"
        + (f"\terror: {r.error}" if r.error else "")
        for r in results
    )
