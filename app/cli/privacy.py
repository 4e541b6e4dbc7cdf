"""`crm privacy export|erase`, `crm keys generate|rotate` and `crm purge`."""

from __future__ import annotations

import argparse
import getpass
import json
import uuid
from typing import Any

from cryptography.fernet import Fernet

from app.db import create_engine, create_session_factory
from app.jobs.retention import purge_once
from app.settings import Settings
from kernel.errors import InvalidArgumentError, ServiceError
from kernel.ids import decode_id_of
from kernel.principal import Principal, PrincipalKind
from kernel.unit_of_work import unit_of_work
from resolvers.privacy.erasure import erase_personal_data
from resolvers.privacy.export import export_personal_data
from resolvers.privacy.keys import rotate_keys


def add_commands(commands: Any) -> None:
    """Register the commands on the `crm` parser's subcommands."""
    privacy = commands.add_parser("privacy", help="personal data requests (GDPR)")
    actions = privacy.add_subparsers(dest="action", required=True)
    for action, text in (
        ("export", "print everything held about a contact, as JSON"),
        ("erase", "anonymize a contact everywhere"),
    ):
        actions.add_parser(action, help=text).add_argument(
            "contact_id", help="the contact's id (UUID or API global id)"
        )
    keys = commands.add_parser("keys", help="encryption keys of personal data")
    key_actions = keys.add_subparsers(dest="action", required=True)
    key_actions.add_parser("generate", help="print a new key for CRM_ENCRYPTION_KEYS")
    rotate = key_actions.add_parser(
        "rotate", help="re-encrypt everything under the first key of CRM_ENCRYPTION_KEYS"
    )
    rotate.add_argument("--batch-size", type=int, default=500)
    commands.add_parser("purge", help="purge rows soft-deleted more than RETENTION_DAYS ago")


def operator() -> Principal:
    try:
        name = getpass.getuser()
    except (KeyError, OSError):
        name = "cli"
    return Principal(subject=name, kind=PrincipalKind.OPERATOR, role="admin")


def _contact_id(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        pass
    try:
        return decode_id_of(value, "Contact")
    except InvalidArgumentError as exc:
        raise SystemExit(f"error: {value!r} is not a contact id") from exc


async def run(settings: Settings, args: argparse.Namespace) -> str:
    """Run one of the commands; what to print."""
    if args.command == "keys" and args.action == "generate":
        return Fernet.generate_key().decode()
    engine = create_engine(settings.database_url)
    factory = create_session_factory(engine)
    try:
        if args.command == "purge":
            result = await purge_once(settings, factory)
            return json.dumps({"purged": result.purged, "skipped": result.skipped}, indent=2)
        if args.command == "keys":
            counts = await rotate_keys(factory, operator(), args.batch_size)
            return "\n".join(f"{column}\t{count} rewritten" for column, count in counts.items())
        contact_id = _contact_id(args.contact_id)
        async with unit_of_work(factory) as session:
            if args.action == "export":
                document = await export_personal_data(session, operator(), contact_id)
                return json.dumps(document, indent=2, ensure_ascii=False)
            await erase_personal_data(session, operator(), contact_id)
            return f"erased {contact_id}"
    except ServiceError as exc:
        raise SystemExit(f"error: {exc}") from exc
    finally:
        await engine.dispose()
