"""Fixtures: the real directory, the values of its unverified contacts, and a bank-holiday test directory."""

from __future__ import annotations

import pytest
from signpost_testkit import build_directory, value_key, weekday_line

from signpost import Directory, load_directory


@pytest.fixture(scope="session")
def directory() -> Directory:
    return load_directory()


@pytest.fixture(scope="session")
def unverified_values(directory: Directory) -> set[str]:
    """Every unverified number or address that no verified contact shares.

    A service's home page may be shown as its web address even when a contact on that page is not
    confirmed (for example online reporting on police.uk), so home pages are left out here.
    """
    verified = {value_key(c.value) for s in directory.services for c in s.contacts if c.verified}
    verified |= {s.url for s in directory.services}
    return {
        value_key(c.value)
        for s in directory.services
        for c in s.contacts
        if not c.verified and value_key(c.value) not in verified
    }


@pytest.fixture(scope="session")
def holiday_directory() -> Directory:
    """Weekday lines run from each nation, plus a UK-wide line open 24/7."""
    always = weekday_line("uk_night_line", "england", "0800 000 0005", hours="24/7")
    always.update(nations="uk", based_in="england", fallback=True)
    return build_directory(
        [
            weekday_line("scottish_weekday_line", "scotland", "0800 000 0001"),
            weekday_line("ni_weekday_line", "northern_ireland", "0800 000 0002"),
            weekday_line("english_weekday_line", "england", "0800 000 0003"),
            weekday_line("welsh_weekday_line", "wales", "0800 000 0004"),
            always,
        ]
    )
