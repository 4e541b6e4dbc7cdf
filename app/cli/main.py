"""The `crm` command: serve, migrate, seed, token, clients, worker, privacy, connectors,
import, export."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence

from sqlalchemy import select

from app.cli import bulk as cli_bulk
from app.cli import connectors as cli_connectors
from app.cli import privacy as cli_privacy
from app.crypto import MissingKeysError, install_encryption
from app.db import create_engine, create_session_factory
from app.http.auth import issue_token
from app.logs import configure_logging
from app.migrations import upgrade_to_head
from app.seed import is_empty, seed
from app.settings import Environment, Settings, get_settings
from app.wiring import install as install_wiring
from kernel.errors import ServiceError
from kernel.principal import Principal, PrincipalKind
from kernel.tables import table_of
from kernel.unit_of_work import unit_of_work
from models import Role, User
from resolvers.identity import clients


async def _seed(settings: Settings, customers: int, only_if_empty: bool) -> dict[str, int] | None:
    engine = create_engine(settings.database_url)
    try:
        if only_if_empty and not await is_empty(engine):
            return None
        return await seed(engine, customers)
    finally:
        await engine.dispose()


async def _token(settings: Settings, role: str, email: str | None) -> str:
    if email is None:
        principal = Principal(subject=f"operator-{role}", kind=PrincipalKind.OPERATOR, role=role)
        return issue_token(settings, principal)
    engine = create_engine(settings.database_url)
    try:
        users = table_of(User)
        async with engine.connect() as connection:
            row = (await connection.execute(select(users).where(users.c.email == email))).first()
    finally:
        await engine.dispose()
    if row is None:
        raise SystemExit(f"no user with email {email}")
    principal = Principal(
        subject=email, kind=PrincipalKind.USER, role=role or row.role, user_id=row.id
    )
    return issue_token(settings, principal)


async def _clients(settings: Settings, args: argparse.Namespace) -> list[str]:
    """Run `crm clients ...` as the operator at the terminal; the lines to print."""
    operator = cli_privacy.operator()
    engine = create_engine(settings.database_url)
    try:
        async with unit_of_work(create_session_factory(engine)) as session:
            if args.action == "list":
                return [
                    f"{c.client_id}\t{c.name}\t{' '.join(c.scopes)}\t"
                    + (f"revoked {c.revoked_at:%Y-%m-%d %H:%M}" if c.revoked_at else "active")
                    for c in await clients.list_api_clients(session, operator)
                ]
            if args.action == "create":
                issued = await clients.create_api_client(session, operator, args.name, args.scopes)
            else:
                pk = await clients.api_client_pk(session, args.client_id)
                if args.action == "revoke":
                    revoked = await clients.revoke_api_client(session, operator, pk)
                    return [f"revoked {revoked.client_id}"]
                issued = await clients.rotate_api_client_secret(session, operator, pk)
    except ServiceError as exc:
        raise SystemExit(f"error: {exc}") from exc
    finally:
        await engine.dispose()
    print("Store the secret now: it is not shown again.", file=sys.stderr)
    return [f"client_id {issued.client.client_id}", f"client_secret {issued.secret}"]


def _serve(settings: Settings, host: str, port: int) -> None:
    import uvicorn

    upgrade_to_head(settings.database_url)
    if settings.crm_env is Environment.DEVELOPMENT:
        counts = asyncio.run(_seed(settings, 50, only_if_empty=True))
        if counts:
            print(f"Seeded demo data: {counts}", file=sys.stderr)
        token = asyncio.run(_token(settings, Role.ADMIN.value, None))
        print(
            "\nDevelopment admin token (send as 'Authorization: Bearer <token>'):\n"
            f"{token}\n\nGraphiQL: http://{host}:{port}/graphql\n",
            file=sys.stderr,
            flush=True,
        )
    configure_logging(settings.log_level)
    uvicorn.run("app.http.asgi:create_app", factory=True, host=host, port=port, log_config=None)


def _worker(settings: Settings) -> None:
    from arq.worker import run_worker

    from app.jobs.worker import WorkerSettings, redis_settings

    if not settings.redis_url:
        raise SystemExit("error: `crm worker` needs REDIS_URL; without it `crm serve` delivers")
    configure_logging(settings.log_level)
    run_worker(WorkerSettings, redis_settings=redis_settings(settings))  # type: ignore[arg-type]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="crm", description="The CRM service.")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="migrate, seed demo data in development, serve")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    commands.add_parser("migrate", help="apply pending database migrations")
    seed_cmd = commands.add_parser("seed", help="insert deterministic demo data")
    seed_cmd.add_argument("--customers", type=int, default=50)
    token = commands.add_parser("token", help="print a bearer token")
    token.add_argument("--role", default=Role.ADMIN.value, choices=[role.value for role in Role])
    token.add_argument("--user", dest="email", help="act as the user with this email")
    client_cmd = commands.add_parser("clients", help="manage API clients (OAuth2 partners)")
    client_actions = client_cmd.add_subparsers(dest="action", required=True)
    create = client_actions.add_parser("create", help="register a client; prints its secret once")
    create.add_argument("name")
    create.add_argument("--scope", dest="scopes", action="append", required=True)
    client_actions.add_parser("list", help="list clients")
    for action, text in (("rotate", "issue a new secret; prints it once"), ("revoke", "revoke")):
        client_actions.add_parser(action, help=text).add_argument("client_id")
    commands.add_parser("worker", help="deliver webhooks as arq jobs (needs REDIS_URL)")
    cli_privacy.add_commands(commands)
    cli_connectors.add_commands(commands)
    cli_bulk.add_commands(commands)
    args = parser.parse_args(argv)
    install_wiring()

    settings = get_settings()
    # Everything that reads or writes rows needs the encryption keys (not `keys generate`).
    if args.command != "token" and getattr(args, "action", None) != "generate":
        try:
            install_encryption(settings)
        except MissingKeysError as exc:
            raise SystemExit(f"error: {exc}") from exc
    if args.command == "serve":
        _serve(settings, args.host, args.port)
    elif args.command == "migrate":
        upgrade_to_head(settings.database_url)
        print("database is at the latest migration", file=sys.stderr)
    elif args.command == "seed":
        upgrade_to_head(settings.database_url)
        counts = asyncio.run(_seed(settings, args.customers, only_if_empty=False))
        print(f"seeded: {counts}", file=sys.stderr)
    elif args.command == "token":
        print(asyncio.run(_token(settings, args.role, args.email)))
    elif args.command == "clients":
        print("\n".join(asyncio.run(_clients(settings, args))))
    elif args.command == "worker":
        _worker(settings)
    elif args.command == "connectors":
        print(asyncio.run(cli_connectors.run(settings, args)))
    elif args.command == "import":
        print(asyncio.run(cli_bulk.run_import(settings, args)))
    elif args.command == "export":
        print(asyncio.run(cli_bulk.run_export(settings, args)), file=sys.stderr)
    else:
        print(asyncio.run(cli_privacy.run(settings, args)))


if __name__ == "__main__":
    main()
