"""Check the directory file: schema, duplicate ids, number shapes, and facts due for re-checking.

Run `python -m signpost.check` (exit code 1 when the file has errors). Stale facts are warnings.
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from .loader import DirectoryError, Issue, parse_directory, read_yaml, resolve_path

REVERIFY_AFTER_DAYS = 180


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


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the exit code."""
    parser = argparse.ArgumentParser(prog="python -m signpost.check", description=__doc__)
    parser.add_argument("path", nargs="?", help="directory file (default: data/services.yml)")
    parser.add_argument("--today", type=date.fromisoformat, help="pretend today is this date (YYYY-MM-DD)")
    parser.add_argument("--max-age-days", type=int, default=REVERIFY_AFTER_DAYS)
    args = parser.parse_args(argv)
    report = check_directory(args.path, args.today, args.max_age_days)
    for line in report.lines(args.max_age_days):
        print(line, file=sys.stdout if line.startswith(("OK", "WARNING", "  -")) else sys.stderr)
    return 0 if report.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
