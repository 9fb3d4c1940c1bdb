"""Operator commands: ``python -m handoff <command>``."""

from __future__ import annotations

import argparse
import asyncio
import secrets
import sys

from handoff.cli import officers as officers_cli
from handoff.cli import records as records_cli
from handoff.commands import with_database
from handoff.core import migrate
from handoff.core.config import get_settings
from handoff.officers import service as officers
from handoff.officers.models import Role

DEMO_EMAIL = "officer@example.ac.uk"
DEMO_PASSWORD = "demo-officer-password"  # noqa: S105 - development mode only, never in production


def _migrate(_: argparse.Namespace) -> int:
    settings = get_settings()
    settings.ensure_sqlite_folder()
    migrate.upgrade(settings.async_database_url)
    print("Database is up to date.")
    return 0


def _ensure_demo_officer(_: argparse.Namespace) -> int:
    async def run(db, settings, _vault):
        if await officers.count(db_session=db) > 0:
            print("Staff accounts exist already; no demo account was added.")
            return 0
        password = secrets.token_urlsafe(18) if settings.production else DEMO_PASSWORD
        await officers.create(
            db_session=db, email=DEMO_EMAIL, display_name="Demo welfare officer",
            role=Role.welfare_officer, password=password, initial=settings.production,
        )
        print(f"Created a demo welfare-officer account: {DEMO_EMAIL} / {password}")
        if settings.production:
            print("This password is shown once and must be changed at the first sign-in. Replace the account "
                  "with real ones.")
        return 0

    return asyncio.run(with_database(run))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m handoff", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("migrate", help="bring the database schema up to date").set_defaults(fn=_migrate)
    commands.add_parser(
        "ensure-demo-officer", help="create a demo welfare-officer account if there is no account at all"
    ).set_defaults(fn=_ensure_demo_officer)
    officers_cli.register(commands)
    records_cli.register(commands)
    args = parser.parse_args(argv)
    try:
        return int(args.fn(args))
    except ValueError as exc:  # settings refused, bad input
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
