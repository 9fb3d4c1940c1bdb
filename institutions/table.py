"""The facts table of data/institutions/README.md: for each shipped profile, each fact and its section.

``python -m institutions.table`` prints it; a test checks the README holds exactly this table, so a change to
a profile that is not reflected in the README (and so not reviewed) fails.
"""

from __future__ import annotations

import sys
from pathlib import Path

from institutions.loader import available_ids, load_profile
from institutions.procedure import STATED
from institutions.profile import InstitutionProfile

START = "<!-- facts table: python -m institutions.table -->"
END = "<!-- end of facts table -->"
ROWS = ("time_limit", "acknowledgement", "investigation_target", "appeal", "investigation", "informal",
        "counselling", "police_referral", *STATED)


def fact_cell(profile: InstitutionProfile, fact: str) -> str:
    """The section that states the fact, or "-" when the policy does not state it."""
    reporting = profile.reporting
    if fact == "time_limit":
        limit = reporting.time_limit
        return "-" if limit is None else f"{limit.within.describe()} ({limit.cite or 'no section'})"
    if fact in ("acknowledgement", "investigation_target"):
        duration = getattr(reporting, fact)
        return "-" if duration is None else f"{duration.describe()} ({duration.cite or 'no section'})"
    cite = profile.procedure.cited(fact)
    return "-" if cite is None else cite.replace("|", "/")


def render(directory: Path | None = None) -> str:
    ids = [ident for ident in available_ids(directory) if ident != "example"] + ["example"]
    profiles = [load_profile(ident, directory) for ident in ids]
    lines = [START, "", "| fact | " + " | ".join(ids) + " |", "| --- |" + " --- |" * len(ids)]
    for fact in ROWS:
        lines.append(f"| {fact} | " + " | ".join(fact_cell(p, fact) for p in profiles) + " |")
    lines.append("| modelled on | " + " | ".join(
        f"{p.modelled_on.publisher}: {p.modelled_on.title}" if p.modelled_on else "fictional" for p in profiles
    ) + " |")
    return "\n".join([*lines, "", END])


if __name__ == "__main__":
    sys.stdout.write(render() + "\n")
