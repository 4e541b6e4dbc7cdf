"""The `crm` command: serve, migrate, seed and token."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence

from sqlalchemy import select

from app.auth import issue_token
from app.db import create_engine
from app.logs import configure_logging
from app.migrations import upgrade_to_head
from app.seed import is_empty, seed
from app.settings import Environment, Settings, get_settings
from models import Role, User
from resolvers.principal import Principal, PrincipalKind
from resolvers.tables import table_of


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
    uvicorn.run("app.asgi:create_app", factory=True, host=host, port=port, log_config=None)


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
    args = parser.parse_args(argv)

    settings = get_settings()
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


if __name__ == "__main__":
    main()
