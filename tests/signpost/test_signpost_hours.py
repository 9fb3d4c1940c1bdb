"""Opening hours and bank holidays, in Europe/London time."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from signpost_testkit import at

from institutions.hours import HoursError, Schedule, is_bank_holiday, london, when_text

STALKING = Schedule.parse(["mon-tue 09:30-16:00", "wed 13:00-16:00", "thu-fri 09:30-16:00"])


def test_24_7_is_always_open() -> None:
    schedule = Schedule.parse("24/7")
    assert schedule.always
    assert schedule.is_open(at(2026, 12, 25, 3), closed_on=lambda _day: True)


@pytest.mark.parametrize(
    ("moment", "is_open"),
    [
        (at(2026, 11, 25, 11), False),  # Wednesday morning: opens at 13:00
        (at(2026, 11, 25, 13), True),
        (at(2026, 11, 25, 15, 59), True),
        (at(2026, 11, 25, 16), False),
        (at(2026, 11, 24, 9, 30), True),  # Tuesday
        (at(2026, 11, 22, 12), False),  # Sunday
    ],
)
def test_weekly_windows(moment: datetime, is_open: bool) -> None:
    assert STALKING.is_open(moment) is is_open


def test_next_opening_skips_weekend_and_closed_days() -> None:
    assert STALKING.next_open(at(2026, 11, 22, 2)) == at(2026, 11, 23, 9, 30)
    # Easter Monday closed: the next opening is Tuesday.
    easter_monday = date(2026, 4, 6)
    opening = STALKING.next_open(at(2026, 4, 6, 11), closed_on=lambda day: day == easter_monday)
    assert opening == at(2026, 4, 7, 9, 30)


def test_overnight_window_belongs_to_the_day_it_starts() -> None:
    evenings = Schedule.parse("daily 18:00-24:00")
    assert evenings.is_open(at(2026, 11, 22, 23, 59))
    assert not evenings.is_open(at(2026, 11, 23, 0, 0))
    late = Schedule.parse("fri 22:00-02:00")
    assert late.is_open(at(2026, 11, 28, 1))  # Saturday 01:00, from Friday night
    assert not late.is_open(at(2026, 11, 28, 1), closed_on=lambda day: day == date(2026, 11, 27))
    assert late.closes_at(at(2026, 11, 27, 23)) == at(2026, 11, 28, 2)


@pytest.mark.parametrize(
    "spec",
    ["mon-fri 9:00-17:00", "someday 09:00-17:00", "mon 09:00-09:00", "mon 25:00-26:00", "24/7 maybe", ""],
)
def test_unreadable_hours_are_refused(spec: str) -> None:
    with pytest.raises(HoursError):
        Schedule.parse(spec)


@pytest.mark.parametrize(
    ("day", "nation", "expected"),
    [
        (date(2026, 1, 2), "scotland", True),
        (date(2026, 1, 2), "england", False),
        (date(2026, 11, 30), "scotland", True),  # St Andrew's Day
        (date(2026, 11, 30), "wales", False),
        (date(2026, 3, 17), "northern_ireland", True),  # St Patrick's Day
        (date(2026, 3, 17), "england", False),
        (date(2026, 4, 6), "england", True),  # Easter Monday
        (date(2026, 4, 6), "wales", True),
        (date(2026, 4, 6), "northern_ireland", True),
        (date(2026, 4, 6), "scotland", False),
    ],
)
def test_bank_holidays_differ_by_nation(day: date, nation: str, expected: bool) -> None:
    assert is_bank_holiday(day, nation) is expected


def test_times_are_read_in_london_whatever_zone_they_arrive_in() -> None:
    # 01:30 UTC on a summer Sunday is 02:30 in London (British Summer Time).
    moment = london(datetime(2026, 7, 5, 1, 30, tzinfo=ZoneInfo("UTC")))
    assert (moment.hour, moment.minute) == (2, 30)
    assert not STALKING.is_open(at(2026, 7, 6, 8, 45))
    # 08:45 UTC on that Monday is 09:45 in London, when the line is open.
    assert STALKING.is_open(datetime(2026, 7, 6, 8, 45, tzinfo=ZoneInfo("UTC")))


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        london(datetime(2026, 11, 22, 2))


def test_when_text_is_plain() -> None:
    sunday = at(2026, 11, 22, 2)
    assert when_text(at(2026, 11, 22, 13), sunday) == "today 13:00"
    assert when_text(at(2026, 11, 23, 9, 30), sunday) == "Monday 09:30"
    assert when_text(at(2026, 12, 1, 9), sunday) == "Tuesday 1 December 09:00"


def test_one_opening_hours_engine_serves_the_team_the_nightline_and_the_directory() -> None:
    """Office hours, a Nightline's term nights and the directory's services are all judged by
    institutions.hours: no other module reads bank holidays, so two answers about "open now" cannot differ."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    readers = []
    for package in ("actions", "bot", "handoff", "institutions", "safety", "signpost"):
        for path in (root / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                    [node.module or ""] if isinstance(node, ast.ImportFrom) else []
                if any(name == "holidays" or name.startswith("holidays.") for name in names):
                    readers.append(str(path.relative_to(root)))
    assert readers == ["institutions/hours.py"]
