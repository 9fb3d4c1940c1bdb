"""Custom actions: trackers built from dicts, a CollectingDispatcher, and the facts each
institution profile puts into the replies."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from assistant_testkit import ALL_ACTIONS, REALISTIC_PROFILES, make_tracker, run_action

from actions.contact import ActionContactDetails, ActionExplainInternalSupport
from actions.options import ActionExplainAnonymous, ActionExplainInformalRoutes
from actions.privacy import ActionExplainChatData
from actions.relationships import ActionExplainStaffStudent
from actions.reporting import (
    ActionExplainAppeal,
    ActionExplainFormalReport,
    ActionExplainReportProcess,
    ActionExplainTimeLimits,
)

LONDON = ZoneInfo("Europe/London")



def texts(messages: list[dict]) -> str:
    return "\n".join(m["text"] for m in messages)


def payloads(messages: list[dict]) -> list[str]:
    return [b["payload"] for m in messages for b in (m.get("buttons") or [])]


def answer(use_profile, profile: str, action, *tracker: str | None) -> list[dict]:
    """What the assistant sends when the action runs for this institution (tracker: channel, intent)."""
    use_profile(profile)
    _, messages = run_action(action, make_tracker(*tracker))
    return messages


class FixedClock(ActionContactDetails):
    """The contact action at a chosen moment."""

    moment = datetime(2025, 3, 4, 11, 0, tzinfo=LONDON)  # a Tuesday morning

    def now(self) -> datetime | None:
        return self.moment


def test_action_names_are_the_ones_the_domain_uses() -> None:
    assert [a().name() for a in ALL_ACTIONS] == [
        "action_explain_policy_fact",
        "action_confidentiality_in_policy",
        "action_explain_formal_report",
        "action_explain_report_process",
        "action_explain_time_limits",
        "action_explain_appeal",
        "action_contact_details",
        "action_explain_internal_support",
        "action_explain_chat_data",
        "action_explain_informal_routes",
        "action_explain_anonymous",
        "action_explain_staff_student",
    ]


@pytest.mark.parametrize("action_class", ALL_ACTIONS)
def test_web_replies_end_with_quick_replies_and_sms_has_none(use_profile, action_class) -> None:
    use_profile("example")
    events, web = run_action(action_class(), make_tracker("webchat"))
    assert events == []
    assert web and all(m["text"] for m in web)
    assert web[-1]["buttons"], "the last web message offers quick replies"
    assert all(p.startswith("/") for p in payloads(web))

    events, sms = run_action(action_class(), make_tracker("sms"))
    assert events == []
    assert sms and not payloads(sms)


def test_formal_report_lists_the_routes_and_what_to_include(use_profile) -> None:
    messages = answer(use_profile, "example", ActionExplainFormalReport(), "webchat", "ask_how_to_report")
    text = texts(messages)
    assert "Example College" in text
    assert "the Student Welfare Team" in text
    assert "https://example.org/report" in text
    assert "welfare@example.org" in text
    assert "01632 960000" in text
    assert "Student Hub" in text
    assert "dates, times and places" in text and "witnesses" in text
    assert "partner university" not in text
    assert payloads(messages) == ["/ask_report_process", "/ask_time_limit", "/ask_evidence", "/request_person"]


def test_formal_report_at_a_university_goes_in_writing_to_the_registrar(use_profile) -> None:
    messages = answer(use_profile, "afon-valley-university", ActionExplainFormalReport(), "sms")
    text = texts(messages)
    assert "the Academic Registrar" in text
    assert "needs to be in writing" in text
    assert "Afon Valley University" in text and "Prifysgol" not in text  # the SMS-friendly name


def test_partner_university_escalation_is_explained_only_where_the_policy_says(use_profile) -> None:
    messages = answer(use_profile, "harbourside-college", ActionExplainFormalReport(), "webchat")
    assert "passed to the partner university" in texts(messages)
    assert "You'll be told who is handling it. (your policy, section 7.2.4)" in texts(messages)
    messages = answer(use_profile, "afon-valley-university", ActionExplainFormalReport(), "webchat")
    assert "partner university" not in texts(messages)


def test_report_process_uses_the_profile_timescales(use_profile) -> None:
    messages = answer(use_profile, "example", ActionExplainReportProcess(), "webchat")
    text = texts(messages)
    assert "within 5 working days" in text
    assert "within 30 working days" in text
    assert "appeal within 10 working days" in text
    assert "what support or changes you need" in text
    assert "check that you're safe" not in text  # no policy promises a safety check after every report
    assert "a friend, a students' union rep or a member of staff" in text


def test_report_process_without_stated_timescales_makes_no_promises(use_profile) -> None:
    messages = answer(use_profile, "northway-apprenticeships", ActionExplainReportProcess(), "webchat")
    text = texts(messages)
    assert "working days" not in text
    assert "Ask the Safeguarding Team how long it usually takes." in text
    # Its policy describes no appeal and no investigator: neither is promised.
    assert "appeal" not in text.lower() and "hasn't been involved before" not in text


@pytest.mark.parametrize(
    ("profile", "expected"),
    [
        # no limit stated: said honestly, never another policy's limit
        ("example", "Example College's policy doesn't set out a time limit for reporting."),
        ("harbourside-college", "Harbourside College's policy doesn't set out a time limit for reporting."),
        ("afon-valley-university", "It's 12 weeks from when the behaviour stopped. (your policy, section 7.3)"),
    ],
)
def test_time_limits_follow_the_policy(use_profile, profile: str, expected: str) -> None:
    messages = answer(use_profile, profile, ActionExplainTimeLimits(), "webchat", "ask_time_limit")
    assert expected in texts(messages)
    assert "never too late to get support" in texts(messages)


def test_appeals_name_who_and_how_long(use_profile) -> None:
    messages = answer(use_profile, "afon-valley-university", ActionExplainAppeal(), "webchat")
    text = texts(messages)
    assert "Appeals go to the Vice-Chancellor." in text
    assert "You have 10 days from when you're told the decision." in text
    assert "(your policy, section 10.1)" in text
    # Its policy does not say the other person may appeal, or on what grounds: neither is said.
    assert "The other person can appeal too." not in text and "new evidence" not in text

    messages = answer(use_profile, "harbourside-college", ActionExplainAppeal(), "webchat")
    text = texts(messages)
    assert "The other person can appeal too." in text and "new evidence" in text

    messages = answer(use_profile, "meridian-study-centre", ActionExplainAppeal(), "webchat")
    assert "Ask the Safeguarding and Welfare Team how long you have." in texts(messages)


def test_a_policy_without_an_appeal_gets_no_appeal_route(use_profile) -> None:
    for profile in ("northway-apprenticeships", "brookfield-schools"):
        use_profile(profile)
        for channel in ("webchat", "sms"):
            _, messages = run_action(ActionExplainAppeal(), make_tracker(channel))
            text = texts(messages)
            assert re.search(r"(policy|guidance) doesn't describe a way to appeal", text), profile
            assert "you can appeal" not in text, profile


def test_contact_details_when_open(use_profile) -> None:
    messages = answer(use_profile, "example", FixedClock(), "webchat", "ask_contact")
    text = texts(messages)
    assert "Mon to Thu 9am to 5pm, Fri 9am to 4:30pm" in text
    assert "They're open now." in text
    assert "116 123" not in text
    assert "/request_person" in payloads(messages)


def test_contact_details_out_of_hours_point_to_24_hour_help(use_profile) -> None:
    class Evening(FixedClock):
        moment = datetime(2025, 3, 7, 20, 30, tzinfo=LONDON)  # Friday evening

    messages = answer(use_profile, "example", Evening(), "sms")
    text = texts(messages)
    assert "They're closed now and open again on Monday at 9am." in text
    assert "Samaritans" in text and "116 123" in text and "999" in text


def test_chat_data_uses_the_retention_settings(use_profile) -> None:
    messages = answer(use_profile, "brookfield-schools", ActionExplainChatData(), "webchat", "ask_chat_privacy")
    text = texts(messages)
    assert "encrypted" in text
    assert "deleted after 14 days" in text
    assert "only sees it if you ask for a person and agree to share it" in text
    assert "6 years after the case closes" in text
    assert "/delete_conversation" in payloads(messages)


def test_informal_routes_name_the_contacts_and_when_they_do_not_apply(use_profile) -> None:
    messages = answer(use_profile, "northway-apprenticeships", ActionExplainInformalRoutes(), "webchat")
    text = texts(messages)
    assert "your tutor, a safeguarding officer, your employer or Learner Support" in text
    assert "still make a formal complaint later" in text and "(your policy, section 5.1)" in text
    assert "isn't used for" not in text  # its policy lists no exclusions: none borrowed from another policy
    messages = answer(use_profile, "harbourside-college", ActionExplainInformalRoutes(), "webchat")
    text = texts(messages)
    for unsuitable in ("sexual assault", "keeps happening or gets worse", "a member of staff and a student", "at risk"):
        assert unsuitable in text
    messages = answer(use_profile, "brookfield-schools", ActionExplainInformalRoutes(), "sms")
    assert "Brookfield Schools Service's guidance doesn't describe an informal route" in texts(messages)


def test_anonymous_reporting_with_and_without_a_form(use_profile) -> None:
    messages = answer(use_profile, "harbourside-college", ActionExplainAnonymous(), "webchat")
    assert "https://example.org/harbourside/anonymous" in texts(messages)
    assert "doesn't start a case against anyone by itself" in texts(messages)
    assert "(your policy, section 7.3)" in texts(messages)

    messages = answer(use_profile, "northway-apprenticeships", ActionExplainAnonymous(), "webchat")
    assert "doesn't list an anonymous form" in texts(messages)
    assert "without giving your name" in texts(messages) and "(your policy, section 4.4)" in texts(messages)
    # Afon Valley's policy says nothing about anonymous reports.
    messages = answer(use_profile, "afon-valley-university", ActionExplainAnonymous(), "sms")
    assert "Ask the Student Wellbeing Team what an anonymous report can lead to there." in texts(messages)


@pytest.mark.parametrize(
    ("profile", "expected"),
    [
        ("harbourside-college", "staff must not date or have sex with students. A staff member who hides"),
        ("longest-fields", "staff must declare a close relationship with a student"),
        ("northway-apprenticeships", "Staff are in a position of trust."),
    ],
)
def test_staff_student_relationships_follow_the_policy(use_profile, profile: str, expected: str) -> None:
    messages = answer(use_profile, profile, ActionExplainStaffStudent(), "webchat")
    assert expected in texts(messages)
    assert "it's not your fault" in texts(messages)


def test_internal_support_names_the_teams(use_profile) -> None:
    messages = answer(use_profile, "example", ActionExplainInternalSupport(), "webchat")
    text = texts(messages)
    assert "The Student Welfare Team can give practical and emotional help." in text
    assert "The Wellbeing and Counselling Service offers counselling." in text
    assert "extensions" in text
    assert "/ask_support_services" in payloads(messages)


def test_a_missing_channel_is_treated_as_web_chat(use_profile) -> None:
    messages = answer(use_profile, "example", ActionExplainAppeal(), None)
    assert payloads(messages)


@pytest.mark.parametrize("action_class", ALL_ACTIONS)
def test_a_broken_profile_gives_a_safe_answer(monkeypatch, use_profile, action_class) -> None:
    use_profile("example")
    monkeypatch.setenv("INSTITUTION_ID", "does-not-exist")
    from actions.common import clear_profile_cache

    clear_profile_cache()
    events, messages = run_action(action_class(), make_tracker("webchat"))
    assert events == []
    assert len(messages) == 1
    assert "can't look up the details" in messages[0]["text"]
    assert payloads(messages) == ["/request_person"]


@pytest.mark.parametrize("profile", REALISTIC_PROFILES)
def test_every_action_runs_for_every_profile(use_profile, profile: str) -> None:
    use_profile(profile)
    for action_class in ALL_ACTIONS:
        for channel in ("webchat", "sms"):
            events, messages = run_action(action_class(), make_tracker(channel))
            assert events == [] and messages


def test_importing_the_actions_reads_no_profile() -> None:
    """No side effects at import time: a fresh interpreter imports every action module while
    any attempt to load a profile fails loudly."""
    import subprocess
    import sys

    from assistant_testkit import ROOT

    script = """
import institutions, institutions.loader
def refuse(*args, **kwargs):
    raise SystemExit("a profile was loaded at import time")
institutions.load_profile = institutions.loader.load_profile = refuse
institutions.load_profile_file = institutions.loader.load_profile_file = refuse
import actions.common, actions.reporting, actions.contact, actions.privacy
import actions.options, actions.relationships, actions.hours
print("ok")
"""
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
