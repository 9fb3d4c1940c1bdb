"""Helpers for the signposting tests: fixed moments in London time and what a person would see."""

from __future__ import annotations

import copy
import json
from datetime import datetime
from zoneinfo import ZoneInfo

from signpost import Directory, SignpostResult, format_sms, format_web, to_data
from signpost.loader import parse_directory
from signpost.phones import digits

LONDON = ZoneInfo("Europe/London")


def at(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """A moment in London time."""
    return datetime(year, month, day, hour, minute, tzinfo=LONDON)


# 22 November 2026 is a Sunday; 25 November a Wednesday.
SUNDAY_2AM = at(2026, 11, 22, 2)
WEDNESDAY_2PM = at(2026, 11, 25, 14)
WEDNESDAY_11AM = at(2026, 11, 25, 11)
# Bank holidays in 2026: Easter Monday (England, Wales, Northern Ireland), St Andrew's Day on a
# Monday (Scotland only), St Patrick's Day on a Tuesday (Northern Ireland only), 2 January on a
# Friday (Scotland only).
EASTER_MONDAY = at(2026, 4, 6, 11)
ST_ANDREWS_DAY = at(2026, 11, 30, 11)
ST_PATRICKS_DAY = at(2026, 3, 17, 11)
SECOND_OF_JANUARY = at(2026, 1, 2, 11)

NATIONS = ("england", "wales", "scotland", "northern_ireland")
NATIONS_OR_UNKNOWN = (*NATIONS, None)


def value_key(value: str) -> str:
    """Numbers compared without spaces; addresses as written."""
    return digits(value) if value.replace(" ", "").isdigit() else value


def rendered(result: SignpostResult) -> str:
    """Everything a person could see or tap for this result: the text or SMS, and the button data."""
    text = format_web(result) if result.channel == "web" else "\n".join(format_sms(result))
    return f"{text}\n{json.dumps(to_data(result))}"


def open_contacts(result: SignpostResult):
    """(option, contact) pairs the result says are open now."""
    return [(o, c) for o in result.open_now for c in o.contacts if c.open_now]


_TEST_SERVICE = {
    "summary": "A test line.",
    "tags": ["harassment_bullying"],
    "free": True,
    "cost": "Free.",
    "url": "https://example.org",
    "source": "https://example.org/source",
    "verified_on": "2026-11-22",
}


def weekday_line(service_id: str, nation: str, number: str, hours: str = "mon-fri 09:00-17:00") -> dict:
    """A raw directory entry for a weekday phone line that closes on bank holidays."""
    entry = copy.deepcopy(_TEST_SERVICE)
    entry.update(
        id=service_id,
        name=service_id.replace("_", " ").title(),
        nations=[nation],
        contacts=[{"kind": "phone", "value": number, "hours": hours, "bank_holidays": "closed", "verified": True}],
    )
    return entry


def build_directory(entries: list[dict]) -> Directory:
    built, issues = parse_directory({"services": entries})
    if built is None:
        raise AssertionError(issues)
    return built
