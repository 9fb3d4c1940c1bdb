"""Operator commands for stored records."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys

from handoff.commands import with_database
from handoff.records.progress import Progress
from handoff.records.removal import describe


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def _rotate_keys(args: argparse.Namespace) -> int:
    from handoff.rotation import RotationFailed, rotate_keys

    async def run(db, _settings, vault):
        return await rotate_keys(db_session=db, vault=vault, batch_size=args.batch_size, progress_factory=Progress)

    try:
        result = asyncio.run(with_database(run))
    except RotationFailed as exc:
        print(f"Stopped: {exc}", file=sys.stderr)
        return 1
    print(f"Re-encrypted {result.rotated} values with the newest key; {result.already_current} already used it.")
    print("Once every worker runs with the new key first, the old key can be removed from ENCRYPTION_KEYS.")
    return 0


def _purge(args: argparse.Namespace) -> int:
    from handoff.assistant.tracker import TrackerStore
    from handoff.records.retention import purge
    from institutions import load_profile

    async def run(db, settings, _vault):
        retention = load_profile(settings.institution_id).retention
        print(f"Retention for {settings.institution_id}: conversations without a case "
              f"{retention.conversations_without_case_days} days after their last message; closed cases "
              f"{retention.closed_case_years} years after closing. Open cases are always kept.")
        result = await purge(db_session=db, retention=retention, institution_id=settings.institution_id,
                             dry_run=args.dry_run, actor=f"purge by {_user()}", progress_factory=Progress)
        note = ""
        if not args.dry_run:
            note = await TrackerStore.from_settings(settings).forget_and_describe(result.removed.rasa_senders)
        return result, note

    result, note = asyncio.run(with_database(run))
    verb = "Would remove" if args.dry_run else "Removed"
    print(f"{verb}: {describe(result.removed.counts)}.")
    if args.dry_run:
        print("Dry run: nothing was deleted.")
    elif note:
        print(note)
    return 0


def _erase(args: argparse.Namespace) -> int:
    from handoff.cases.service import normalise_reference
    from handoff.records.erase import erase, find_case, find_phone, normalise_phone

    if args.case is not None and not normalise_reference(args.case):
        raise ValueError("that is not a case reference: it has six letters and digits, such as K7M-4QX")
    phone = normalise_phone(args.phone) if args.phone is not None else None
    what = f"case {normalise_reference(args.case)}" if args.case is not None else "this phone number"

    async def preview(db, _settings, vault):
        if args.case is not None:
            return await find_case(db_session=db, reference=args.case)
        return await find_phone(db_session=db, vault=vault, phone=phone or "")

    cases, conversations, contacts = asyncio.run(with_database(preview))
    if not (cases or conversations or contacts):
        print(f"Nothing is stored for {what}; nothing was deleted.")
        return 0
    print(f"Found for {what}: {len(cases)} case(s), {len(conversations)} conversation(s), "
          f"{len(contacts)} phone contact(s).")
    if not args.yes:
        answer = input("Delete all of it, for good? It cannot be undone. Type yes to go ahead: ")
        if answer.strip().lower() != "yes":
            print("Nothing was deleted.")
            return 1
    command = "erase --case" if args.case is not None else "erase --phone"

    async def run(db, settings, vault):
        return await erase(db_session=db, vault=vault, settings=settings, actor=f"{command} by {_user()}",
                           case_reference=args.case, phone=phone)

    erasure = asyncio.run(with_database(run))
    if not erasure.found:
        print(f"Nothing is stored for {what} any more; nothing was deleted.")
        return 0
    print(f"Deleted from the service's database: {describe(erasure.removed.counts)}.")
    for note in erasure.notes:
        print(note)
    print("The records log keeps only that an erasure happened, when, by which command, and these counts.")
    return 0


def register(commands: argparse._SubParsersAction) -> None:
    """Add this package's commands to ``python -m handoff``."""
    rotate = commands.add_parser("rotate-keys", help="re-encrypt stored values with the newest key")
    rotate.add_argument("--batch-size", type=int, default=500, help="rows per transaction (default 500)")
    rotate.set_defaults(fn=_rotate_keys)
    purge = commands.add_parser("purge", help="delete what the institution's retention schedule no longer keeps")
    purge.add_argument("--dry-run", action="store_true", help="count what would go, delete nothing")
    purge.set_defaults(fn=_purge)
    erase = commands.add_parser("erase", help="delete every copy of one case, or of everything from one number")
    target = erase.add_mutually_exclusive_group(required=True)
    target.add_argument("--case", metavar="REFERENCE", help="a case reference, such as K7M-4QX")
    target.add_argument("--phone", metavar="NUMBER", help="a phone number, such as +447700900123")
    erase.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    erase.set_defaults(fn=_erase)
