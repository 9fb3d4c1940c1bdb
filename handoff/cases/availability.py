"""Is the welfare team there now, and if not, when will it be?"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from institutions import InstitutionProfile
from institutions.hours import open_status


@dataclass(frozen=True)
class Availability:
    in_hours: bool
    officers_on_duty: int
    next_open: datetime | None

    @property
    def available(self) -> bool:
        """Someone can join now: office hours and at least one officer on duty."""
        return self.in_hours and self.officers_on_duty > 0

    def next_open_words(self) -> str:
        """'Monday at 09:00', in the institution's time zone."""
        if self.next_open is None:
            return "when the office next opens"
        return f"{self.next_open.strftime('%A')} at {self.next_open.strftime('%H:%M')}"


def availability(profile: InstitutionProfile, now: datetime, officers_on_duty: int) -> Availability:
    """Office hours from the profile (with the nation's bank holidays) and who is on duty."""
    status = open_status(profile, now)
    return Availability(in_hours=status.open_now, officers_on_duty=officers_on_duty, next_open=status.next_opening)
