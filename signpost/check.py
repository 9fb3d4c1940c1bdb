"""Check the directory file: schema, duplicate ids, number shapes, and facts due for re-checking.

Run `python -m signpost.check` (exit code 1 when the file has errors). Stale facts are warnings:
`python -m signpost.check --stale 180` lists every entry and contact last verified more than 180 days ago.
`safety_contact_problems` is the stricter rule CI applies to contacts the safety responses name.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from .loader import DirectoryError, Issue, parse_directory, read_yaml, resolve_path
from .model import Contact, Directory, Service
from .phones import digits

REVERIFY_AFTER_DAYS = 180
# A contact the safety responses name must have been confirmed within this many days, or CI fails.
SAFETY_MAX_AGE_DAYS = 365


@dataclass(frozen=True)
class Stale:
    """A verified fact last checked longer ago than the re-verify age."""

    service_id: str
    what: str
    verified_on: date


@dataclass
class CheckReport:
    """Errors make the file unusable; stale facts only need re-checking."""

    path: Path
    errors: list[Issue] = field(default_factory=list)
    stale: list[Stale] = field(default_factory=list)
    services: int = 0
    verified: int = 0
    unverified: int = 0

    @property
    def ok(self) -> bool:
        """True when the file has no errors (warnings allowed)."""
        return not self.errors

    def lines(self, max_age_days: int = REVERIFY_AFTER_DAYS) -> list[str]:
        """Human-readable report lines."""
        out = [f"ERROR {issue}" for issue in self.errors]
        if self.stale:
            out.append(f"WARNING {len(self.stale)} fact(s) not re-verified in the last {max_age_days} days:")
            out.extend(f"  - {s.service_id}: {s.what} (verified {s.verified_on})" for s in self.stale)
        if self.ok:
            out.append(
                f"OK {self.path}: {self.services} services, {self.verified} verified contacts, "
                f"{self.unverified} unverified contacts (never shown)"
            )
        return out


def check_directory(
    path: str | os.PathLike[str] | None = None,
    today: date | None = None,
    max_age_days: int = REVERIFY_AFTER_DAYS,
) -> CheckReport:
    """Validate the file and list verified facts older than `max_age_days`."""
    resolved = resolve_path(path)
    report = CheckReport(path=resolved)
    try:
        directory, issues = parse_directory(read_yaml(resolved), resolved)
    except DirectoryError as exc:
        report.errors.extend(exc.issues)
        return report
    except OSError as exc:
        report.errors.append(Issue("(file)", str(resolved), exc.strerror or str(exc)))
        return report
    report.errors.extend(issues)
    if directory is None:
        return report
    cutoff = (today or date.today()) - timedelta(days=max_age_days)
    report.services = len(directory.services)
    for service in directory.services:
        if service.verified_on < cutoff:
            report.stale.append(Stale(service.id, "entry", service.verified_on))
        for contact in service.contacts:
            if not contact.verified:
                report.unverified += 1
                continue
            report.verified += 1
            checked = contact.verified_on or service.verified_on
            if contact.verified_on and checked < cutoff:
                report.stale.append(Stale(service.id, f"{contact.kind} {contact.value}", checked))
    return report


def _key(contact: Contact) -> str:
    """How a contact appears in a message: digits for numbers, a short address for links."""
    if contact.kind in ("phone", "text"):
        return digits(contact.value)
    return re.sub(r"^https?://(www\.)?", "", contact.value).rstrip("/").lower()


def contacts_named(text: str, directory: Directory) -> list[tuple[Service, Contact]]:
    """Directory contacts whose number or address appears in `text` ('08 08 16 89 111' matches 08081689111)."""
    numbers = re.sub(r"(?<=\d) (?=\d)", "", text)
    lowered = text.lower()
    found = []
    for service in directory.services:
        for contact in service.contacts:
            key = _key(contact)
            if contact.kind in ("phone", "text"):
                hit = re.search(rf"(?<!\d){re.escape(key)}(?!\d)", numbers)
            else:
                hit = re.search(rf"(?<![\w.-]){re.escape(key)}(?![\w/-])", lowered)
            if hit:
                found.append((service, contact))
    return found


def safety_contact_problems(
    texts: Mapping[str, str], directory: Directory, today: date, max_age_days: int = SAFETY_MAX_AGE_DAYS
) -> list[str]:
    """Why contacts named in safety texts cannot be trusted: unverified, or verified too long ago.

    `texts` maps where each text is (such as 'responses.recent_sexual_assault.wales.sms') to the text.
    """
    problems = []
    for where, text in texts.items():
        named = contacts_named(text, directory)
        by_value: dict[str, list[tuple[Service, Contact]]] = {}
        for service, contact in named:
            by_value.setdefault(_key(contact), []).append((service, contact))
        for _value, matches in sorted(by_value.items()):
            verified = [(s, c) for s, c in matches if c.verified]
            if not verified:
                ids = ", ".join(sorted({s.id for s, _ in matches}))
                problems.append(f"{where} names {matches[0][1].value} ({ids}), which data/services.yml marks "
                                "unverified: confirm it on the service's own page or take it out")
                continue
            for service, contact in verified:
                checked = contact.verified_on or service.verified_on
                age = (today - checked).days
                if age > max_age_days:
                    problems.append(
                        f"{where} names {contact.value} ({service.id}), last verified {checked}: {age} days ago, "
                        f"more than {max_age_days}. Re-check it on the service's own page and update verified_on "
                        "in data/services.yml"
                    )
    return list(dict.fromkeys(problems))  # 999 is both a call and a text: say it once


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the exit code."""
    parser = argparse.ArgumentParser(prog="python -m signpost.check", description=__doc__)
    parser.add_argument("path", nargs="?", help="directory file (default: data/services.yml)")
    parser.add_argument("--today", type=date.fromisoformat, help="pretend today is this date (YYYY-MM-DD)")
    parser.add_argument("--max-age-days", "--stale", dest="max_age_days", type=int, default=REVERIFY_AFTER_DAYS,
                        metavar="DAYS", help="list facts last verified more than DAYS days ago (default 180)")
    args = parser.parse_args(argv)
    report = check_directory(args.path, args.today, args.max_age_days)
    for line in report.lines(args.max_age_days):
        print(line, file=sys.stdout if line.startswith(("OK", "WARNING", "  -")) else sys.stderr)
    return 0 if report.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
