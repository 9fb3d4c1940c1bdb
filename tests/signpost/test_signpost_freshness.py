"""Keeping the directory fresh: `--stale DAYS` lists old facts, and CI fails when a contact a safety response
names was last verified more than a year ago (or is not verified at all)."""

from __future__ import annotations

from datetime import date, timedelta

from signpost_testkit import build_directory, weekday_line

from safety.responses import get_responses
from signpost import Directory
from signpost.check import SAFETY_MAX_AGE_DAYS, contacts_named, main, safety_contact_problems


def test_ci_contacts_named_by_safety_responses_are_verified_within_a_year(directory: Directory) -> None:
    """The rule itself, against today's date: fails the build the day a named contact turns a year old."""
    problems = safety_contact_problems(get_responses().texts(), directory, date.today())
    assert not problems, "\n".join(problems)


def test_every_nations_sexual_assault_reply_names_directory_contacts(directory: Directory) -> None:
    texts = get_responses().texts()
    for nation in ("england", "wales", "scotland", "northern_ireland"):
        for channel in ("web", "sms"):
            named = {s.id for s, _ in contacts_named(texts[f"responses.recent_sexual_assault.{nation}.{channel}"],
                                                      directory)}
            assert "emergency_999" in named and len(named) >= 3, (nation, channel, named)


def test_a_contact_older_than_a_year_fails_with_the_entry_named() -> None:
    line = weekday_line("old_line", "england", "0800 000 0009", hours="24/7")
    line["verified_on"] = "2025-01-10"
    directory = build_directory([line])
    texts = {"responses.test.sms": "Call the old line free on 0800 000 0009, any time."}
    today = date(2025, 1, 10) + timedelta(days=SAFETY_MAX_AGE_DAYS)
    assert safety_contact_problems(texts, directory, today) == []
    [problem] = safety_contact_problems(texts, directory, today + timedelta(days=1))
    assert problem.startswith("responses.test.sms names 0800 000 0009 (old_line), last verified 2025-01-10")
    assert "366 days ago, more than 365" in problem and "data/services.yml" in problem


def test_a_contact_verified_on_its_own_date_counts_from_that_date() -> None:
    line = weekday_line("old_line", "england", "0800 000 0009", hours="24/7")
    line["verified_on"] = "2020-01-01"
    line["contacts"][0]["verified_on"] = "2026-06-01"
    directory = build_directory([line])
    texts = {"x.web": "0800 000 0009"}
    assert safety_contact_problems(texts, directory, date(2027, 5, 1)) == []
    assert safety_contact_problems(texts, directory, date(2027, 6, 2))


def test_naming_an_unverified_contact_fails(directory: Directory) -> None:
    texts = {"responses.recent_sexual_assault.england.sms": "Call Rape Crisis on 0808 500 2222, any time."}
    [problem] = safety_contact_problems(texts, directory, date(2026, 12, 3))
    assert "0808 500 2222 (rape_crisis_england_wales)" in problem and "unverified" in problem


def test_numbers_are_found_however_they_are_spaced(directory: Directory) -> None:
    found = contacts_named("Victim Support on 0808 168 9111 or 08 08 16 89 111.", directory)
    assert {s.id for s, _ in found} == {"victim_support"}
    assert contacts_named("Reference 1011 is not 101.", directory)[0][0].id == "police_101"
    assert not contacts_named("A 999999 reference is not an emergency number.", directory)


def test_stale_option_lists_entries_older_than_the_given_days(capsys) -> None:
    assert main(["--stale", "180", "--today", "2027-06-15"]) == 0
    out = capsys.readouterr().out
    assert "not re-verified in the last 180 days" in out
    assert "  - samaritans: entry (verified 2026-11-22)" in out
    assert "  - calm: entry (verified 2026-12-03)" in out
    assert main(["--stale", "180", "--today", "2026-12-04"]) == 0
    assert "WARNING" not in capsys.readouterr().out
