"""Command line for profiles: ``python -m institutions import-policy <file> --id <id> [--dir data/institutions]``.

Reads the institution's own policy (PDF, DOCX, HTML, Markdown or text), splits it into its numbered sections,
writes ``<dir>/<id>/policy.md`` and reports what it found and what it could not read, and any heading the
profile's ``asks.yml`` names that the new version no longer has.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from institutions.loader import default_directory
from institutions.lookup import ASKS_FILE, load_asks
from institutions.policy_doc import PolicyImportError, import_policy
from institutions.profile import ID_PATTERN


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m institutions")
    commands = parser.add_subparsers(dest="command", required=True)
    imp = commands.add_parser("import-policy", help="split a policy file into sections as <dir>/<id>/policy.md")
    imp.add_argument("file", type=Path)
    imp.add_argument("--id", required=True, help="the institution's profile id")
    imp.add_argument("--dir", type=Path, default=None, help="the folder of profiles (default: data/institutions)")
    args = parser.parse_args(argv)

    if not ID_PATTERN.match(args.id):
        print(f"--id {args.id!r}: use lower-case letters, digits, '-' or '_'", file=sys.stderr)
        return 2
    try:
        document = import_policy(args.file)
    except PolicyImportError as exc:
        print(f"Could not import: {exc}", file=sys.stderr)
        return 1
    folder = (args.dir or default_directory()) / args.id
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "policy.md"
    target.write_text(document.to_markdown(), encoding="utf-8")
    numbered = [s.number for s in document.sections if s.number != s.title]
    print(f"{len(document.sections)} sections ({len(numbered)} numbered) written to {target}")
    if numbered:
        print("numbers: " + ", ".join(numbered))
    for warning in document.warnings:
        print(f"could not read: {warning}" if "no text" in warning else f"note: {warning}")
    try:  # the ways people ask for each section name headings: a new version of the policy may have moved them
        load_asks(folder / ASKS_FILE, document)
    except ValueError as exc:
        print(f"check {ASKS_FILE}: {exc}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
