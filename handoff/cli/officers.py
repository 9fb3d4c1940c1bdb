"""Operator commands for staff accounts: create, list, disable, enable, reset two-step sign-in."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys

from handoff.commands import with_database
from handoff.officers import audit
from handoff.officers import service as officers
from handoff.officers.models import Officer, Role
from handoff.realtime import create_hub


def _create_officer(args: argparse.Namespace) -> int:
    password = getpass.getpass("Password (at least 12 characters): ")
    if password != getpass.getpass("Again: "):
        print("The two passwords differ; nothing was created.", file=sys.stderr)
        return 2

    async def run(db, *_):
        officer = await officers.create(
            db_session=db, email=args.email, display_name=args.name, role=Role(args.role), password=password
        )
        await audit.record(db_session=db, action=audit.ACCOUNT_CREATED, target=f"officer:{officer.id}")
        print(f"Created {officer.role.value} account {officer.email}.")
        return 0

    try:
        return int(asyncio.run(with_database(run)))
    except ValueError as exc:
        print(f"Not created: {exc}", file=sys.stderr)
        return 2


def _list_officers(_: argparse.Namespace) -> int:
    async def run(db, *_):
        return await officers.all_officers(db_session=db)

    accounts: list[Officer] = asyncio.run(with_database(run))
    if not accounts:
        print("There are no staff accounts yet.")
        return 0
    print(f"{'email':40} {'role':18} {'active':7} {'two-step':9} last sign-in (UTC)")
    for a in accounts:
        last = a.last_signin_at.strftime("%Y-%m-%d %H:%M") if a.last_signin_at else "never"
        print(f"{a.email:40} {a.role.value:18} {'yes' if a.is_active else 'no':7} "
              f"{'yes' if a.totp_secret else 'no':9} {last}")
    return 0


def _change(args: argparse.Namespace, action: str) -> int:
    async def run(db, settings, _vault):
        officer = await officers.by_email(db_session=db, email=args.email)
        if officer is None:
            return None
        if action == audit.ACCOUNT_DISABLED:
            await officers.set_active(db_session=db, officer=officer, active=False)
        elif action == audit.ACCOUNT_ENABLED:
            await officers.set_active(db_session=db, officer=officer, active=True)
        else:
            await officers.reset_totp(db_session=db, officer=officer)
        await audit.record(db_session=db, action=action, target=f"officer:{officer.id}")
        if action != audit.ACCOUNT_ENABLED and settings.redis_url:  # open consoles on any worker close now
            hub = create_hub(settings.redis_url, settings.redis_prefix)
            try:
                await hub.publish(officers.sessions_topic(officer.id), {"type": "sessions_ended"})
            finally:
                await hub.aclose()
        return officer.email

    email = asyncio.run(with_database(run))
    if email is None:
        print("There is no account with that email; nothing changed.", file=sys.stderr)
        return 2
    print({
        audit.ACCOUNT_DISABLED: f"Disabled {email}; every session it had has ended.",
        audit.ACCOUNT_ENABLED: f"Enabled {email}; it can sign in again with its password.",
        audit.TOTP_RESET: f"Reset two-step sign-in for {email} and ended its sessions; "
                          "it sets it up again at its next sign-in.",
    }[action])
    return 0


def register(commands: argparse._SubParsersAction) -> None:
    """Add this package's commands to ``python -m handoff``."""
    create = commands.add_parser("create-officer", help="create a staff account (asks for the password)")
    create.add_argument("--email", required=True)
    create.add_argument("--name", required=True)
    create.add_argument("--role", choices=[r.value for r in Role], default=Role.welfare_officer.value)
    create.set_defaults(fn=_create_officer)
    commands.add_parser("list-officers", help="list staff accounts").set_defaults(fn=_list_officers)
    for name, action, words in (
        ("disable-officer", audit.ACCOUNT_DISABLED, "disable a staff account and end its sessions"),
        ("enable-officer", audit.ACCOUNT_ENABLED, "enable a disabled staff account"),
        ("reset-totp", audit.TOTP_RESET, "reset an account's two-step sign-in (it sets it up again)"),
    ):
        command = commands.add_parser(name, help=words)
        command.add_argument("--email", required=True)
        command.set_defaults(fn=lambda args, action=action: _change(args, action))
