"""The directory file's schema: problems are named by entry and field, and all are reported at once."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml
from signpost_testkit import weekday_line

from signpost import DirectoryError, load_directory
from signpost.loader import parse_directory
from signpost.phones import phone_problem, text_problem
from signpost.vocab import NATIONS, NEEDS


def _problems(entries: list[dict]) -> list[str]:
    directory, issues = parse_directory({"services": entries})
    assert directory is None
    return [str(issue) for issue in issues]


def test_real_directory_loads(directory) -> None:
    assert len(directory.services) >= 25
    assert len({s.id for s in directory.services}) == len(directory.services)
    for nation in NATIONS:
        assert any(nation in s.nations for s in directory.services)


def test_every_need_has_a_service(directory) -> None:
    for need in NEEDS:
        assert any(need in s.tags | s.also_helps for s in directory.services), need


def test_services_reported_closing_are_not_listed(directory) -> None:
    names = " ".join(s.name.lower() for s in directory.services)
    assert "safeline" not in names and "male survivor" not in names
    assert "stop hate" not in names
    assert {e["name"] for e in directory.excluded} >= {"Stop Hate Line"}


def test_problem_names_entry_and_field() -> None:
    entry = weekday_line("bad_line", "england", "0800 000 00")
    [problem] = _problems([entry])
    assert problem.startswith("services[0] (bad_line): contacts[0].value:")
    assert "0800" in problem and "10 or 11 digits" in problem


def test_all_problems_are_reported_together() -> None:
    broken = weekday_line("broken", "atlantis", "12345")
    broken["tags"] = ["sadness"]
    broken["contacts"][0]["hours"] = "mon-fri 9-5"
    broken["verfied_on"] = "2026-11-22"
    problems = "\n".join(_problems([broken]))
    assert "nations: unknown 'atlantis'" in problems
    assert "tags: unknown 'sadness'" in problems
    assert "contacts[0].value: '12345'" in problems
    assert "contacts[0].hours:" in problems
    assert "verfied_on: unknown field" in problems


def test_duplicate_ids_are_errors() -> None:
    first = weekday_line("same_id", "england", "0800 000 0001")
    second = copy.deepcopy(first)
    problems = _problems([first, second])
    assert problems == ["services[1] (same_id): id: duplicate of services[0]"]


def test_unverified_contact_must_say_why() -> None:
    entry = weekday_line("unsure", "england", "0800 000 0001")
    entry["contacts"][0]["verified"] = False
    assert _problems([entry]) == [
        "services[0] (unsure): contacts[0].unverified_reason: say why this contact is not verified"
    ]


def test_verified_live_contact_needs_hours_and_holiday_rule() -> None:
    no_hours = weekday_line("no_hours", "england", "0800 000 0001")
    del no_hours["contacts"][0]["hours"]
    no_rule = weekday_line("no_rule", "england", "0800 000 0002")
    del no_rule["contacts"][0]["bank_holidays"]
    problems = _problems([no_hours, no_rule])
    assert any("no_hours" in p and "contacts[0].hours: is missing" in p for p in problems)
    assert any("no_rule" in p and "contacts[0].bank_holidays: is missing" in p for p in problems)


def test_uk_wide_service_must_say_whose_bank_holidays() -> None:
    entry = weekday_line("uk_line", "england", "0800 000 0001")
    entry["nations"] = "uk"
    assert _problems([entry]) == [
        "services[0] (uk_line): based_in: is missing; say which nation's bank holidays the service follows"
    ]


def test_numbers_must_be_quoted_text() -> None:
    entry = weekday_line("unquoted", "england", "0800 000 0001")
    entry["contacts"][0]["value"] = 1708765200  # what YAML makes of an unquoted 01708765200
    assert "contacts[0].value: must be non-empty text (put numbers in quotes)" in _problems([entry])[0]


def test_load_directory_raises_with_file_name(tmp_path: Path) -> None:
    path = tmp_path / "services.yml"
    path.write_text(yaml.safe_dump({"services": [weekday_line("x", "england", "0800")]}))
    with pytest.raises(DirectoryError) as caught:
        load_directory(path)
    assert str(path) in str(caught.value)
    assert caught.value.issues[0].field == "contacts[0].value"


def test_broken_yaml_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "services.yml"
    path.write_text("services: [\n")
    with pytest.raises(DirectoryError, match="yaml"):
        load_directory(path)


@pytest.mark.parametrize(
    "number",
    [
        "999",
        "101",
        "111",
        "116 123",
        "0800 1111",
        "0800 027 1234",
        "08000 562 561",
        "0808 2000 247",
        "08 08 16 89 111",
        "0300 323 0169",
        "0345 6000 459",
        "01708 765200",
        "020 7704 2040",
        "07860 077333",
    ],
)
def test_accepted_phone_shapes(number: str) -> None:
    assert phone_problem(number) is None


@pytest.mark.parametrize(
    "number",
    ["0808 500 222", "0300 123 339", "0845 054 7444", "07860 07733", "116 12", "112", "0800-1111", "+44 116 123"],
)
def test_malformed_phone_numbers(number: str) -> None:
    assert phone_problem(number) is not None


@pytest.mark.parametrize("number", ["85258", "86463", "999", "07860 077333", "885258"])
def test_accepted_text_shapes(number: str) -> None:
    assert text_problem(number) is None


@pytest.mark.parametrize("number", ["8525", "1234567", "0800 1111", "SHOUT"])
def test_malformed_text_numbers(number: str) -> None:
    assert text_problem(number) is not None
