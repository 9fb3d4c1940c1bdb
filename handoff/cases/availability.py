"""Is the welfare team there now, and if not, when will it be?"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import holidays

from institutions import InstitutionProfile

DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


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


def _bank_holidays(profile: InstitutionProfile, years: range) -> holidays.HolidayBase:
    return holidays.UK(subdiv=profile.holiday_subdivision, years=list(years))


def _open_on(profile: InstitutionProfile, day: date, closed_days: holidays.HolidayBase) -> bool:
    if profile.office_hours.closed_on_bank_holidays and day in closed_days:
        return False
    return DAYS[day.weekday()] in profile.office_hours.days


def availability(profile: InstitutionProfile, now: datetime, officers_on_duty: int) -> Availability:
    """Office hours from the profile (with the nation's bank holidays) and who is on duty."""
    local = now.astimezone(ZoneInfo(profile.timezone))
    closed_days = _bank_holidays(profile, range(local.year, local.year + 2))
    in_hours = False
    if _open_on(profile, local.date(), closed_days):
        opens, closes = profile.office_hours.days[DAYS[local.weekday()]]
        in_hours = opens <= local.time() < closes
    next_open = None
    for offset in range(15):
        day = local.date() + timedelta(days=offset)
        if _open_on(profile, day, closed_days):
            start = datetime.combine(day, profile.office_hours.days[DAYS[day.weekday()]][0], tzinfo=local.tzinfo)
            if start > local:
                next_open = start
                break
    return Availability(in_hours=in_hours, officers_on_duty=officers_on_duty, next_open=next_open)
