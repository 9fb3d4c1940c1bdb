"""Office hours in words, and open or closed at a given moment (with bank holidays by nation)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import yaml
from assistant_testkit import EXAMPLE_DIR, fixture_profile

from actions.hours import clock, describe_hours, describe_next_opening, open_status

LONDON = ZoneInfo("Europe/London")


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=LONDON)


def test_clock_times_read_naturally() -> None:
    from datetime import time

    assert clock(time(9, 0)) == "9am"
    assert clock(time(16, 30)) == "4:30pm"
    assert clock(time(12, 0)) == "12pm"
    assert clock(time(0, 15)) == "12:15am"
    assert clock(time.max) == "midnight"  # how a closing time of 24:00 is parsed


def test_hours_are_grouped() -> None:
    assert describe_hours(fixture_profile("example")) == "Mon to Thu 9am to 5pm, Fri 9am to 4:30pm"
    assert describe_hours(fixture_profile("longest-fields")) == (
        "Mon 9:30am to 4:45pm, Wed 9:30am to 4:45pm, Thu 10:15am to 1pm, Sat 10am to 12pm"
    )


def test_open_during_hours_and_closed_after() -> None:
    profile = fixture_profile("example")
    assert open_status(profile, at(2025, 3, 4, 10, 0)).open_now
    evening = at(2025, 3, 4, 17, 0)
    status = open_status(profile, evening)
    assert not status.open_now
    assert describe_next_opening(status, evening) == "tomorrow at 9am"


def test_early_morning_opens_later_today() -> None:
    early = at(2025, 3, 4, 7, 45)
    status = open_status(fixture_profile("example"), early)
    assert describe_next_opening(status, early) == "at 9am today"


def test_weekends_and_bank_holidays_are_closed() -> None:
    profile = fixture_profile("example")
    christmas_eve = at(2025, 12, 24, 18, 0)  # Wednesday evening; then Christmas and Boxing Day
    status = open_status(profile, christmas_eve)
    assert describe_next_opening(status, christmas_eve) == "on Monday at 9am"
    saturday = at(2025, 3, 8, 12, 0)
    assert describe_next_opening(open_status(profile, saturday), saturday) == "on Monday at 9am"


def test_bank_holidays_depend_on_the_nation() -> None:
    # St Patrick's Day is a bank holiday in Northern Ireland only (17 March 2025 is a Monday).
    st_patricks = at(2025, 3, 17, 11, 0)
    assert not open_status(fixture_profile("longest-fields"), st_patricks).open_now
    assert open_status(fixture_profile("example"), st_patricks).open_now


def test_times_are_read_in_the_profile_time_zone() -> None:
    # 08:30 UTC in summer is 09:30 in London.
    utc_morning = datetime(2025, 7, 1, 8, 30, tzinfo=ZoneInfo("UTC"))
    assert open_status(fixture_profile("example"), utc_morning).open_now


def test_a_team_open_until_24_00_is_open_in_the_last_minute_of_the_day() -> None:
    from institutions import parse_profile

    data = yaml.safe_load((EXAMPLE_DIR / "example.yml").read_text(encoding="utf-8"))
    data["office_hours"] = {"monday": "00:00-24:00", "tuesday": "00:00-24:00", "closed_on_bank_holidays": False}
    profile = parse_profile(data)
    assert describe_hours(profile) == "Mon and Tue 12am to midnight"
    last_minute = at(2025, 3, 3, 23, 59, 30)  # a Monday
    status = open_status(profile, last_minute)
    assert status.open_now
    assert status.closes_at == at(2025, 3, 4, 0, 0)
    assert open_status(profile, at(2025, 3, 4, 0, 0, 0)).open_now
    assert not open_status(profile, at(2025, 3, 5, 0, 0, 30)).open_now  # Wednesday: closed

