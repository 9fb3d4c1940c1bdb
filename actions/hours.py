"""Office hours in plain words, and whether the team is open at a given moment."""

from __future__ import annotations

from datetime import datetime, time

from institutions import InstitutionProfile
from institutions.hours import OpenStatus, open_status
from institutions.profile import DAYS, MIDNIGHT

__all__ = ["OpenStatus", "clock", "describe_hours", "describe_next_opening", "open_status"]

_SHORT = {
    "monday": "Mon",
    "tuesday": "Tue",
    "wednesday": "Wed",
    "thursday": "Thu",
    "friday": "Fri",
    "saturday": "Sat",
    "sunday": "Sun",
}
_LONG = {d: d.capitalize() for d in DAYS}


def clock(t: time) -> str:
    """9am, 4:30pm, 12pm, 11:59pm; a closing time of 24:00 is midnight."""
    if t == MIDNIGHT:
        return "midnight"
    hour = t.hour % 12 or 12
    suffix = "am" if t.hour < 12 else "pm"
    return f"{hour}{suffix}" if t.minute == 0 else f"{hour}:{t.minute:02d}{suffix}"


def describe_hours(profile: InstitutionProfile) -> str:
    """Group days with the same hours: 'Mon to Thu 9am to 5pm, Fri 9am to 4:30pm'."""
    groups: list[tuple[list[str], tuple[time, time]]] = []
    previous_index = -2
    for index, day in enumerate(DAYS):
        hours = profile.office_hours.days.get(day)
        if hours is None:
            continue
        if groups and groups[-1][1] == hours and previous_index == index - 1:
            groups[-1][0].append(day)
        else:
            groups.append(([day], hours))
        previous_index = index
    parts = []
    for days, (opens, closes) in groups:
        if len(days) == 1:
            label = _SHORT[days[0]]
        elif len(days) == 2:
            label = f"{_SHORT[days[0]]} and {_SHORT[days[1]]}"
        else:
            label = f"{_SHORT[days[0]]} to {_SHORT[days[-1]]}"
        parts.append(f"{label} {clock(opens)} to {clock(closes)}")
    return ", ".join(parts)


def describe_next_opening(status: OpenStatus, now: datetime) -> str:
    """'at 9am today', 'tomorrow at 9am', 'on Tuesday at 9am'."""
    when = status.next_opening
    if when is None:
        return "soon"
    local_now = now.astimezone(when.tzinfo)
    days_ahead = (when.date() - local_now.date()).days
    if days_ahead == 0:
        return f"at {clock(when.time())} today"
    if days_ahead == 1:
        return f"tomorrow at {clock(when.time())}"
    if days_ahead < 7:
        return f"on {_LONG[DAYS[when.weekday()]]} at {clock(when.time())}"
    return f"on {_LONG[DAYS[when.weekday()]]} {when.day} {when.strftime('%B')} at {clock(when.time())}"
