"""Operator commands: ``python -m handoff <command>``."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import secrets
import sys

from handoff.core import migrate
from handoff.core.config import get_settings
from handoff.core.db import create_engine, create_sessionmaker
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


async def _with_session(fn):
    settings = get_settings()
    engine = create_engine(settings.async_database_url)
    try:
        async with create_sessionmaker(engine)() as db:
            return await fn(db, settings)
    finally:
        await engine.dispose()


def _ensure_demo_officer(_: argparse.Namespace) -> int:
    async def run(db, settings):
        if await officers.count(db_session=db) > 0:
            print("Staff accounts exist already; no demo account was added.")
            return 0
        password = secrets.token_urlsafe(18) if settings.production else DEMO_PASSWORD
        await officers.create(
            db_session=db, email=DEMO_EMAIL, display_name="Demo welfare officer",
            role=Role.welfare_officer, password=password,
        )
        print(f"Created a demo welfare-officer account: {DEMO_EMAIL} / {password}")
        if settings.production:
            print("This password is shown once. Sign in and replace the account with real ones.")
        return 0

    return asyncio.run(_with_session(run))


def _create_officer(args: argparse.Namespace) -> int:
    password = getpass.getpass("Password (at least 12 characters): ")
    if password != getpass.getpass("Again: "):
        print("The two passwords differ; nothing was created.", file=sys.stderr)
        return 2

    async def run(db, _settings):
        officer = await officers.create(
            db_session=db, email=args.email, display_name=args.name, role=Role(args.role), password=password
        )
        print(f"Created {officer.role.value} account {officer.email}.")
        return 0

    try:
        return asyncio.run(_with_session(run))
    except ValueError as exc:
        print(f"Not created: {exc}", file=sys.stderr)
        return 2


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m handoff", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("migrate", help="bring the database schema up to date").set_defaults(fn=_migrate)
    commands.add_parser(
        "ensure-demo-officer", help="create a demo welfare-officer account if there is no account at all"
    ).set_defaults(fn=_ensure_demo_officer)
    create = commands.add_parser("create-officer", help="create a staff account (asks for the password)")
    create.add_argument("--email", required=True)
    create.add_argument("--name", required=True)
    create.add_argument("--role", choices=[r.value for r in Role], default=Role.welfare_officer.value)
    create.set_defaults(fn=_create_officer)
    args = parser.parse_args(argv)
    try:
        return int(args.fn(args))
    except ValueError as exc:  # settings refused, bad input
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
