"""Whether an institution's team is open at a given moment: office hours, time zone and bank holidays.

Shared by the assistant's actions and the handoff service, so both give the same answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays

from institutions.profile import DAYS, MIDNIGHT, InstitutionProfile


@dataclass(frozen=True)
class OpenStatus:
    open_now: bool
    next_opening: datetime | None  # local time, when closed
    closes_at: datetime | None  # local time, when open


def _is_closed_day(profile: InstitutionProfile, day: date, bank_holidays: holidays.HolidayBase) -> bool:
    if DAYS[day.weekday()] not in profile.office_hours.days:
        return True
    return profile.office_hours.closed_on_bank_holidays and day in bank_holidays


def open_status(profile: InstitutionProfile, now: datetime | None = None) -> OpenStatus:
    """Whether the team is open at ``now`` (default: the current time) in the profile's time zone."""
    zone = ZoneInfo(profile.timezone)
    now = (now or datetime.now(tz=zone)).astimezone(zone)
    bank_holidays = holidays.country_holidays(
        "GB", subdiv=profile.holiday_subdivision, years=range(now.year, now.year + 2)
    )
    today = now.date()
    if not _is_closed_day(profile, today, bank_holidays):
        opens, closes = profile.office_hours.days[DAYS[today.weekday()]]
        if opens <= now.time() and (now.time() < closes or closes == MIDNIGHT):
            closing = (datetime.combine(today + timedelta(days=1), time(0), tzinfo=zone) if closes == MIDNIGHT
                       else datetime.combine(today, closes, tzinfo=zone))
            return OpenStatus(True, None, closing)
        if now.time() < opens:
            return OpenStatus(False, datetime.combine(today, opens, tzinfo=zone), None)
    for ahead in range(1, 15):
        day = today + timedelta(days=ahead)
        if not _is_closed_day(profile, day, bank_holidays):
            opens, _ = profile.office_hours.days[DAYS[day.weekday()]]
            return OpenStatus(False, datetime.combine(day, opens, tzinfo=zone), None)
    return OpenStatus(False, None, None)
