"""The institution's Nightline in its profile: student-run, open at night in term time only."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import yaml
from assistant_testkit import EXAMPLE_DIR

from institutions import ProfileError, load_profile, parse_profile

LONDON = ZoneInfo("Europe/London")


def at(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=LONDON)


def example() -> dict:
    return yaml.safe_load((EXAMPLE_DIR / "example.yml").read_text(encoding="utf-8"))


def with_nightline(**fields: object) -> dict:
    data = example()
    data["nightline"] = {
        "name": "Riverside Nightline", "phone": "01632 960222", "hours": "20:00-08:00",
        "terms": [{"start": "2026-09-21", "end": "2026-12-11"}, {"start": "2027-01-11", "end": "2027-03-26"}],
        **fields,
    }
    return data


def problems_for(data: dict) -> list[str]:
    with pytest.raises(ProfileError) as caught:
        parse_profile(data, source="test.yml")
    return caught.value.problems


def test_the_example_profile_documents_a_nightline() -> None:
    nightline = load_profile("example", EXAMPLE_DIR).nightline
    assert nightline is not None and nightline.name == "Example Nightline"
    assert nightline.phone == "01632 960111" and nightline.terms


def test_a_profile_without_a_nightline_is_still_valid() -> None:
    data = example()
    data.pop("nightline", None)
    assert parse_profile(data).nightline is None


def test_open_on_a_term_night_including_past_midnight() -> None:
    nightline = parse_profile(with_nightline()).nightline
    assert nightline is not None
    assert nightline.is_open(at(2026, 12, 3, 23))  # Thursday night in term
    assert nightline.is_open(at(2026, 12, 4, 3))  # the same night, after midnight
    assert nightline.closes_at(at(2026, 12, 4, 3)) == at(2026, 12, 4, 8)
    assert not nightline.is_open(at(2026, 12, 4, 12))  # daytime
    assert nightline.next_open(at(2026, 12, 4, 12)) == at(2026, 12, 4, 20)


def test_the_last_night_of_term_runs_into_the_morning_then_it_closes_until_next_term() -> None:
    nightline = parse_profile(with_nightline()).nightline
    assert nightline is not None
    assert nightline.is_open(at(2026, 12, 12, 3))  # the night of 11 December, the last of term
    assert not nightline.is_open(at(2026, 12, 12, 22))  # holidays
    assert not nightline.is_open(at(2026, 12, 25, 23))
    assert nightline.next_open(at(2026, 12, 12, 22)) == at(2027, 1, 11, 20)


def test_evening_hours_that_end_before_midnight() -> None:
    nightline = parse_profile(with_nightline(hours="19:00-23:30")).nightline
    assert nightline is not None
    assert nightline.is_open(at(2026, 10, 1, 23, 29))
    assert not nightline.is_open(at(2026, 10, 2, 0, 30))
    assert nightline.closes_at(at(2026, 10, 1, 20)) == at(2026, 10, 1, 23, 30)


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"hours": "8pm till late"}, "nightline.hours: must look like"),
        ({"hours": "20:00-20:00"}, "nightline.hours: must not open and close"),
        ({"terms": []}, "nightline.terms: must list 1 to 12 terms"),
        ({"terms": [{"start": "2026-12-11", "end": "2026-09-21"}]}, "nightline.terms[0]: ends (2026-09-21) before"),
        ({"terms": [{"start": "2026-09-21", "end": "2026-12-11"}, {"start": "2026-12-01", "end": "2027-01-01"}]},
         "nightline.terms[1]: must start after the term before it ends"),
        ({"terms": [{"start": "autumn", "end": "2026-12-11"}]}, "nightline.terms[0].start: must be a date"),
        ({"phone": None}, "nightline: must give at least one of phone, chat or email"),
        ({"chat": "http://insecure.example.org"}, "nightline.chat: must be an https:// address"),
        ({"opening": "nightly"}, "nightline.opening: is not a known field"),
    ],
)
def test_a_broken_nightline_is_refused_with_the_field_named(fields: dict, expected: str) -> None:
    problems = problems_for(with_nightline(**fields))
    assert any(problem.startswith(expected) for problem in problems), problems
