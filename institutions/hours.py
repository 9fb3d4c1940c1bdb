"""The one opening-hours engine: weekly windows, a time zone, and days that are closed whole (bank holidays,
nights out of term).

Three things are open or closed by it, so that the assistant, the signposting directory and the handoff service
always agree: the welfare team's office hours (`open_status`), a students' Nightline (term nights), and each
support service in the signposting directory (lines such as 'mon-fri 09:00-17:00' or '24/7').
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from functools import cache
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import holidays

if TYPE_CHECKING:
    from institutions.profile import InstitutionProfile

LONDON = ZoneInfo("Europe/London")
DAY_MINUTES = 24 * 60
DAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_KEYS: tuple[str, ...] = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
DAY_NAMES: tuple[str, ...] = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
NATION_SUBDIVISIONS = {"england": "ENG", "wales": "WLS", "scotland": "SCT", "northern_ireland": "NIR"}
_DAY_GROUPS: dict[str, tuple[int, ...]] = {
    "daily": tuple(range(7)),
    "weekdays": tuple(range(5)),
    "weekends": (5, 6),
}
_WINDOW = re.compile(r"(?P<days>[a-z,\-]+)\s+(?P<start>\d{2}:\d{2})-(?P<end>\d{2}:\d{2})")

ClosedOn = Callable[[date], bool]


class HoursError(ValueError):
    """An opening-hours line that cannot be read."""


@cache
def bank_holidays(subdivision: str) -> holidays.HolidayBase:
    """The UK bank holidays of one subdivision ('ENG', 'WLS', 'SCT', 'NIR'), any year."""
    return holidays.UK(subdiv=subdivision)


def is_bank_holiday(day: date, nation: str) -> bool:
    """True when `day` is a bank holiday in the nation ('england', 'wales', ...)."""
    return day in bank_holidays(NATION_SUBDIVISIONS[nation])


def _minutes(text: str, *, end: bool) -> int:
    hours, minutes = (int(part) for part in text.split(":"))
    if minutes > 59 or hours > 24 or (hours == 24 and (minutes or not end)):
        raise HoursError(f"{text!r} is not a time of day (use 00:00 to 23:59, or 24:00 to end the day)")
    return hours * 60 + minutes


def minutes_of(clock: time, *, end: bool = False) -> int:
    """Minutes since midnight; as an end, midnight (or time.max, 'the end of the day') is 24:00."""
    if end and (clock == time.max or clock == time(0)):
        return DAY_MINUTES
    return clock.hour * 60 + clock.minute


def _days(text: str) -> frozenset[int]:
    found: set[int] = set()
    for part in text.split(","):
        if part in _DAY_GROUPS:
            found.update(_DAY_GROUPS[part])
        elif "-" in part:
            first, _, last = part.partition("-")
            if first not in DAYS or last not in DAYS:
                raise HoursError(f"{part!r} is not a day range like 'mon-fri'")
            start, stop = DAYS.index(first), DAYS.index(last)
            found.update((start + step) % 7 for step in range((stop - start) % 7 + 1))
        elif part in DAYS:
            found.add(DAYS.index(part))
        else:
            raise HoursError(f"{part!r} is not a day (use mon..sun, daily, weekdays or weekends)")
    return frozenset(found)


@dataclass(frozen=True)
class Window:
    """One opening period on some weekdays; an end at or before the start runs past midnight."""

    days: frozenset[int]
    start: int
    end: int

    @property
    def overnight(self) -> bool:
        """True when the window runs past midnight."""
        return self.end <= self.start


@dataclass(frozen=True)
class Schedule:
    """Weekly opening hours in one time zone. A window that runs past midnight belongs to the day it opened:
    `closed_on(day)` shuts that day's opening, including its hours after midnight."""

    windows: tuple[Window, ...]
    always: bool = False
    zone: tzinfo = LONDON

    @classmethod
    def parse(cls, spec: str | Iterable[str], zone: tzinfo = LONDON) -> Schedule:
        """Read '24/7' or lines like 'mon-fri 09:00-17:00', 'wed 13:00-16:00', 'daily 18:00-24:00'."""
        lines = [spec] if isinstance(spec, str) else list(spec)
        if not lines:
            raise HoursError("no opening hours given")
        cleaned = [" ".join(str(line).lower().split()) for line in lines]
        if "24/7" in cleaned:
            if len(cleaned) > 1:
                raise HoursError("'24/7' cannot be combined with other hours")
            return cls(windows=(), always=True, zone=zone)
        windows = []
        for line in cleaned:
            match = _WINDOW.fullmatch(line)
            if not match:
                raise HoursError(f"{line!r} is not like 'mon-fri 09:00-17:00' or '24/7'")
            start = _minutes(match["start"], end=False)
            end = _minutes(match["end"], end=True)
            if start == end:
                raise HoursError(f"{line!r} opens and closes at the same time")
            windows.append(Window(_days(match["days"]), start, end))
        return cls(windows=tuple(windows), zone=zone)

    def is_open(self, moment: datetime, closed_on: ClosedOn = lambda _day: False) -> bool:
        """True when open at `moment` (read in the schedule's time zone); `closed_on(day)` marks whole days shut."""
        return self.always or self.closes_at(moment, closed_on) is not None

    def closes_at(self, moment: datetime, closed_on: ClosedOn = lambda _day: False) -> datetime | None:
        """When the current opening ends, or None when closed now (or never closes)."""
        if self.always:
            return None
        local = in_zone(moment, self.zone)
        today = local.date()
        now = local.hour * 60 + local.minute
        weekday = today.weekday()
        for window in self.windows:
            if window.overnight:
                if weekday in window.days and now >= window.start and not closed_on(today):
                    return self._at(today + timedelta(days=1), window.end)
                yesterday = today - timedelta(days=1)
                if (weekday - 1) % 7 in window.days and now < window.end and not closed_on(yesterday):
                    return self._at(today, window.end)
            elif weekday in window.days and window.start <= now < window.end and not closed_on(today):
                return self._at(today, window.end)
        return None

    def next_open(
        self, moment: datetime, closed_on: ClosedOn = lambda _day: False, horizon_days: int = 14
    ) -> datetime | None:
        """The next time it opens (`moment` itself, in the schedule's zone, when open now); None if not soon."""
        local = in_zone(moment, self.zone)
        if self.is_open(local, closed_on):
            return local
        best: datetime | None = None
        for offset in range(horizon_days + 1):
            day = local.date() + timedelta(days=offset)
            if closed_on(day):
                continue
            for window in self.windows:
                if day.weekday() not in window.days:
                    continue
                start = self._at(day, window.start)
                if start > local and (best is None or start < best):
                    best = start
            if best is not None:
                return best
        return None

    def _at(self, day: date, minutes: int) -> datetime:
        if minutes >= DAY_MINUTES:
            day, minutes = day + timedelta(days=1), minutes - DAY_MINUTES
        return datetime.combine(day, time(minutes // 60, minutes % 60), tzinfo=self.zone)


def in_zone(moment: datetime | None, zone: tzinfo) -> datetime:
    """The moment in the zone's time; None means now. Naive datetimes are refused."""
    if moment is None:
        return datetime.now(zone)
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("`now` must be timezone-aware, e.g. datetime(..., tzinfo=ZoneInfo('Europe/London'))")
    return moment.astimezone(zone)


def london(moment: datetime | None) -> datetime:
    """The moment in Europe/London time; None means now. Naive datetimes are refused."""
    return in_zone(moment, LONDON)


def when_text(moment: datetime, local_now: datetime) -> str:
    """'today 13:00', 'Monday 09:30', or 'Monday 4 January 09:30' when more than six days away."""
    clock = moment.strftime("%H:%M")
    days_ahead = (moment.date() - local_now.date()).days
    if days_ahead == 0:
        return f"today {clock}"
    name = DAY_NAMES[moment.weekday()]
    if days_ahead <= 6:
        return f"{name} {clock}"
    return f"{name} {moment.day} {moment.strftime('%B')} {clock}"


# The welfare team's office hours -------------------------------------------------------------------------


@dataclass(frozen=True)
class OpenStatus:
    open_now: bool
    next_opening: datetime | None  # local time, when closed
    closes_at: datetime | None  # local time, when open


def office_schedule(profile: InstitutionProfile) -> Schedule:
    """The profile's office hours as a schedule in its time zone (each listed day, opening to closing)."""
    windows = tuple(
        Window(frozenset({number}), minutes_of(hours[0]), minutes_of(hours[1], end=True))
        for number, name in enumerate(DAY_KEYS)
        if (hours := profile.office_hours.days.get(name)) is not None
    )
    return Schedule(windows=windows, zone=ZoneInfo(profile.timezone))


def open_status(profile: InstitutionProfile, now: datetime | None = None) -> OpenStatus:
    """Whether the team is open at ``now`` (default: the current time) in the profile's time zone."""
    schedule = office_schedule(profile)
    holidays_here = bank_holidays(profile.holiday_subdivision)

    def closed(day: date) -> bool:
        return profile.office_hours.closed_on_bank_holidays and day in holidays_here

    local = in_zone(now, schedule.zone)
    closes = schedule.closes_at(local, closed)
    if closes is not None:
        return OpenStatus(True, None, closes)
    return OpenStatus(False, schedule.next_open(local, closed), None)
