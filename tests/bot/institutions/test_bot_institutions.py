"""The institution profile schema and loader: valid profiles, the differences between policies,
and clear errors (which file, which field, what is wrong)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from assistant_testkit import (
    ALL_FIXTURE_PROFILES,
    EXAMPLE_DIR,
    PROFILE_FIXTURES,
    PROFILES_DIR,
    REALISTIC_PROFILES,
    fixture_profile,
)

from institutions import (
    DEFAULT_INSTITUTION_ID,
    Duration,
    ProfileError,
    available_ids,
    load_profile,
    load_profile_file,
    parse_profile,
)


def valid_data() -> dict:
    return yaml.safe_load((EXAMPLE_DIR / "example.yml").read_text(encoding="utf-8"))


def problems_for(data: object) -> list[str]:
    with pytest.raises(ProfileError) as caught:
        parse_profile(data, source="test.yml")
    return caught.value.problems


def test_the_example_is_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("INSTITUTION_ID", raising=False)
    monkeypatch.delenv("INSTITUTIONS_DIR", raising=False)
    profile = load_profile()
    assert DEFAULT_INSTITUTION_ID == "example"
    assert profile.id == "example"
    assert profile.name == "Example College"
    assert profile.retention.conversations_without_case_days == 30
    assert profile.retention.closed_case_years == 6
    assert profile.reporting.investigation_target == Duration(30, "working_days", cite="8.4")
    assert profile.reporting.appeal_window == Duration(10, "working_days")


def test_environment_variables_choose_the_profile(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INSTITUTIONS_DIR", str(PROFILES_DIR))
    monkeypatch.setenv("INSTITUTION_ID", "afon-valley-university")
    assert load_profile().id == "afon-valley-university"


@pytest.mark.parametrize("name", ALL_FIXTURE_PROFILES)
def test_every_fixture_profile_is_valid(name: str) -> None:
    profile = fixture_profile(name)
    assert profile.id == name
    assert profile.office_hours.days


def test_profile_ids_are_all_listed() -> None:
    assert set(available_ids(PROFILES_DIR)) == {"example", *REALISTIC_PROFILES}
    assert set(available_ids(PROFILE_FIXTURES)) == set(ALL_FIXTURE_PROFILES) - set(REALISTIC_PROFILES)


def test_profiles_reflect_how_the_policies_differ() -> None:
    apprenticeships = fixture_profile("northway-apprenticeships")
    partner_college = fixture_profile("harbourside-college")
    study_centre = fixture_profile("meridian-study-centre")
    university = fixture_profile("afon-valley-university")
    schools = fixture_profile("brookfield-schools")

    # Time limits: none in most policies; 12 weeks from when the behaviour stopped in one.
    assert apprenticeships.reporting.time_limit is None
    assert partner_college.reporting.time_limit is None
    assert study_centre.reporting.time_limit is None
    assert university.reporting.time_limit is not None
    assert university.reporting.time_limit.within == Duration(12, "weeks")
    assert university.reporting.time_limit.starts == "behaviour_stopped"

    # Timescales: a 30-working-day investigation target and a 10-working-day appeal window in
    # one; ten (calendar) days to appeal in another; nothing stated in the rest.
    assert partner_college.reporting.investigation_target == Duration(30, "working_days", cite="7.6.3")
    assert partner_college.reporting.appeal_window == Duration(10, "working_days")
    assert university.reporting.appeal_window == Duration(10, "days")
    assert university.reporting.acknowledgement == Duration(5, "days", cite="7.5")
    assert apprenticeships.reporting.appeal_window is None
    assert study_centre.reporting.appeal_window is None

    # Who receives formal reports, and in what form.
    assert university.teams.report_receiver == "Academic Registrar"
    assert university.reporting.in_writing is True
    assert apprenticeships.teams.report_receiver == "Safeguarding Team"

    # Partner universities: one passes serious cases to them, one lets the student choose their procedure.
    assert "Serious or complex cases are passed" in partner_college.procedure.says("partner_university").says
    assert "you can choose" in study_centre.procedure.says("partner_university").says
    assert university.procedure.says("partner_university") is None
    # One contact block per team: the registrar who receives complaints is not the wellbeing team.
    assert university.reports_reached_at.email == "registry@afon.example.org"
    assert university.contacts.email == "wellbeing@afon.example.org"
    # Each modelled on a named policy a reviewer can check.
    assert partner_college.modelled_on.title == "Sexual Harassment and Misconduct Policy"

    # Anonymous forms, staff-student relationships, informal contacts, nation.
    assert partner_college.contacts.anonymous_form and study_centre.contacts.anonymous_form
    assert apprenticeships.contacts.anonymous_form is None
    assert partner_college.staff_student_relationships == "prohibited"
    assert "your employer" in apprenticeships.informal_contacts
    assert "your line manager" in schools.informal_contacts
    assert university.nation == "wales" and university.holiday_subdivision == "WLS"
    assert schools.kind == "local_authority"


def test_a_name_sms_cannot_carry_needs_a_short_name() -> None:
    university = fixture_profile("afon-valley-university")
    assert university.name.startswith("Prifysgol")
    assert university.sms_name == "Afon Valley University"

    data = valid_data()
    data["name"] = "Coleg Glynd\u0175r"
    problems = problems_for(data)
    assert any(p.startswith("sms_name:") and "SMS cannot carry" in p for p in problems)


def test_errors_name_the_file_the_field_and_the_problem(tmp_path: Path) -> None:
    data = valid_data()
    data["reporting"]["appeal_window"] = {"amount": 10, "unit": "fortnights"}
    data["office_hours"]["monday"] = "9 till 5"
    data["contacts"]["email"] = "not-an-email"
    data["retention"]["conversations_without_case_days"] = 0
    data["colour"] = "blue"
    path = tmp_path / "example.yml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")

    with pytest.raises(ProfileError) as caught:
        load_profile_file(path)
    error = caught.value
    message = str(error)
    assert str(path) in message
    assert (
        "reporting.appeal_window.unit: must be one of days, working_days, weeks, months (got 'fortnights')"
    ) in message
    assert 'office_hours.monday: must look like "09:00-17:00"' in message
    assert "contacts.email: must be an email address" in message
    assert "retention.conversations_without_case_days: must be between 1 and 365 (got 0)" in message
    assert "colour: is not a known field" in message
    assert len(error.problems) == 5


def test_missing_required_fields_are_all_reported() -> None:
    problems = problems_for({"id": "x"})
    fields = {p.split(":")[0] for p in problems}
    assert {"name", "kind", "nation", "teams", "informal_contacts", "contacts", "office_hours", "retention"} <= fields


def test_wrong_types_are_explained() -> None:
    data = valid_data()
    data["teams"] = ["welfare"]
    data["informal_contacts"] = "your tutor"
    data["reporting"]["in_writing"] = "yes"
    problems = problems_for(data)
    assert "teams: must be a mapping of fields (got a list)" in problems
    assert "informal_contacts: must be a list (got text)" in problems
    assert "reporting.in_writing: must be true or false (got 'yes')" in problems


def test_time_limits_need_a_duration_and_a_start() -> None:
    data = valid_data()
    data["reporting"]["time_limit"] = {"starts": "whenever"}
    problems = problems_for(data)
    assert "reporting.time_limit.within: is required (amount and unit)" in problems
    assert any(p.startswith("reporting.time_limit.starts: must be one of") for p in problems)


def test_closing_before_opening_and_bad_time_zones_are_caught() -> None:
    data = valid_data()
    data["office_hours"]["tuesday"] = "17:00-09:00"
    data["timezone"] = "Mars/Olympus_Mons"
    problems = problems_for(data)
    assert "office_hours.tuesday: must close after it opens (got '17:00-09:00')" in problems
    assert any(p.startswith("timezone: must be an IANA time zone") for p in problems)


def test_hours_may_run_to_midnight_and_no_later() -> None:
    data = valid_data()
    data["office_hours"]["monday"] = "20:00-24:00"
    opens, closes = parse_profile(data).office_hours.days["monday"]
    assert (opens.hour, closes.hour, closes.minute, closes.second) == (20, 23, 59, 59)  # to the very end of the day
    data["office_hours"]["monday"] = "20:00-24:30"
    assert "office_hours.monday: cannot close after 24:00, midnight (got '20:00-24:30')" in problems_for(data)


def test_a_contact_route_is_required() -> None:
    data = valid_data()
    data["contacts"] = {"anonymous_form": "https://example.org/anon"}
    assert "contacts: must give at least one of email, phone, online_form or in_person" in problems_for(data)


def test_the_id_must_match_the_file_name(tmp_path: Path) -> None:
    path = tmp_path / "other.yml"
    path.write_text((EXAMPLE_DIR / "example.yml").read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(ProfileError, match="id: must match the file name 'other'"):
        load_profile_file(path)


def test_an_unknown_id_lists_the_profiles_there() -> None:
    with pytest.raises(ProfileError) as caught:
        load_profile("nowhere", PROFILES_DIR)
    assert "no profile called 'nowhere'" in str(caught.value)
    assert "harbourside-college" in str(caught.value)


def test_ids_cannot_point_outside_the_folder() -> None:
    with pytest.raises(ProfileError, match="institution id must be lower-case"):
        load_profile("../secrets", PROFILE_FIXTURES)


def test_broken_yaml_reports_the_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.yml"
    path.write_text("id: broken\nname: [unclosed\n", encoding="utf-8")
    with pytest.raises(ProfileError, match=r"not valid YAML at line \d+"):
        load_profile_file(path)


def test_a_file_that_is_not_a_mapping_is_rejected() -> None:
    assert problems_for(["a", "list"]) == ["the file must hold a mapping of fields (got a list)"]


def test_invalid_fixture_files_fail_with_their_file_name() -> None:
    folder = Path(__file__).resolve().parents[1] / "fixtures" / "invalid"
    for path in sorted(folder.glob("*.yml")):
        with pytest.raises(ProfileError) as caught:
            load_profile_file(path)
        assert str(path) in str(caught.value)
        assert caught.value.problems


def test_durations_read_naturally() -> None:
    assert Duration(1, "weeks").describe() == "1 week"
    assert Duration(10, "working_days").describe() == "10 working days"
    assert Duration(12, "weeks").describe() == "12 weeks"


def test_procedure_facts_are_read_with_their_sections() -> None:
    college = fixture_profile("harbourside-college")
    assert college.procedure.appeal is not None and college.procedure.appeal.cite == "7.6.2"
    assert college.procedure.appeal.other_party_may_appeal is True
    assert college.procedure.informal is not None and "staff_student" in college.procedure.informal.not_for
    apprenticeships = fixture_profile("northway-apprenticeships")
    assert apprenticeships.procedure.appeal is None and apprenticeships.procedure.counselling is None


def test_procedure_errors_are_clear() -> None:
    data = valid_data()
    data["procedure"] = {
        "appeal": {"grounds": ["new_evidence", "gut_feeling"], "other_party_may_appeal": "yes"},
        "informal": {"cite": "6", "chosen_by": "the moon", "not_for": "everything"},
        "colour": {"cite": "1"},
    }
    problems = problems_for(data)
    assert "procedure.appeal.cite: is required" in problems
    assert any(p.startswith("procedure.appeal.grounds: must be some of") and "gut_feeling" in p for p in problems)
    assert any(p.startswith("procedure.appeal.other_party_may_appeal: must be true or false") for p in problems)
    assert any(p.startswith("procedure.informal.chosen_by: must be one of") for p in problems)
    assert any(p.startswith("procedure.informal.not_for: must be a list") for p in problems)
    assert any(p.startswith("procedure.colour: is not a known field") for p in problems)


def test_an_appeal_window_needs_the_policys_appeal_section() -> None:
    data = valid_data()
    del data["procedure"]["appeal"]
    assert any(p.startswith("procedure.appeal: is required when reporting.appeal_window")
               for p in problems_for(data))


def test_the_readme_table_shows_every_profiles_facts_and_sections() -> None:
    from institutions.table import render

    readme = (PROFILES_DIR / "README.md").read_text(encoding="utf-8")
    assert render(PROFILES_DIR) in readme, "run python -m institutions.table and paste it into the README"
    assert "| appeal | 10.1 | - | 7.6.2 | 7.4 | - |" in readme  # two of the five policies give no appeal
