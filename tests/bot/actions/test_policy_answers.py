"""The policy questions, asked of each shipped profile as a student would: the answer is that policy's own
fact with its section on the web, the same fact within one SMS, or an honest "doesn't say" with who to ask."""

from __future__ import annotations

import pytest
from assistant_testkit import REALISTIC_PROFILES, make_tracker, run_action

from actions.policy import ActionExplainPolicyFact


def ask(use_profile, profile: str, intent: str, channel: str) -> list[dict]:
    use_profile(profile)
    _, messages = run_action(ActionExplainPolicyFact(), make_tracker(channel, intent, "a question"))
    return messages


def said(messages: list[dict]) -> str:
    return " ".join(m.get("text") or "" for m in messages)


def test_a_student_at_the_study_centre_may_choose_the_partner_universitys_procedure(use_profile) -> None:
    web = said(ask(use_profile, "meridian-study-centre", "ask_partner_university", "webchat"))
    assert "you can choose to report to that university" in web and "(your policy, section 5.4)" in web
    harbourside = said(ask(use_profile, "harbourside-college", "ask_partner_university", "webchat"))
    assert "passed to the partner university" in harbourside and "you can choose" not in harbourside
    afon = said(ask(use_profile, "afon-valley-university", "ask_partner_university", "sms"))
    assert "policy doesn't say" in afon and "registry@afon.example.org" in afon


def test_only_current_students_can_complain_at_afon_valley(use_profile) -> None:
    assert "Only current students" in said(ask(use_profile, "afon-valley-university", "ask_scope", "webchat"))
    assert "Only current students" not in said(ask(use_profile, "harbourside-college", "ask_scope", "webchat"))


def test_training_opt_out_is_offered_only_where_the_policy_offers_it(use_profile) -> None:
    harbourside = said(ask(use_profile, "harbourside-college", "ask_training_opt_out", "sms"))
    assert "opt out" in harbourside and "5 working days" in harbourside
    for profile in ("northway-apprenticeships", "meridian-study-centre", "afon-valley-university"):
        text = said(ask(use_profile, profile, "ask_training_opt_out", "sms"))
        assert "doesn't say whether you can step out" in text and "opt-out form" not in text, profile


def test_the_police_and_the_internal_process(use_profile) -> None:
    harbourside = said(ask(use_profile, "harbourside-college", "ask_police_outcome", "webchat"))
    assert "balance of probabilities" in harbourside and "section 9.1" in harbourside
    # the study centre's policy does not state a standard of proof: none is borrowed
    meridian = said(ask(use_profile, "meridian-study-centre", "ask_police_outcome", "webchat"))
    assert "pause" in meridian and "balance of probabilities" not in meridian
    afon = said(ask(use_profile, "afon-valley-university", "ask_police_outcome", "webchat"))
    assert "policy doesn't say" in afon


def test_school_staff_get_their_guidance_and_their_own_team(use_profile) -> None:
    text = said(ask(use_profile, "brookfield-schools", "ask_workplace_harm", "webchat"))
    assert "ban them from the site" in text and "(your guidance: Dealing with individuals)" in text
    gap = said(ask(use_profile, "brookfield-schools", "ask_visa", "sms"))
    assert "Brookfield Schools Service's guidance doesn't say" in gap and "hr-advice@brookfield.example.org" in gap


@pytest.mark.parametrize("profile", REALISTIC_PROFILES)
@pytest.mark.parametrize("intent", ["ask_false_complaint", "ask_other_party_told", "ask_records", "ask_visa",
                                    "ask_workplace_harm"])
def test_every_answer_offers_a_person_on_the_web_and_fits_sms(use_profile, profile: str, intent: str) -> None:
    web = ask(use_profile, profile, intent, "webchat")
    assert any(b["payload"] == "/request_person" for m in web for b in m.get("buttons") or [])
    sms = ask(use_profile, profile, intent, "sms")
    assert sms and all(len(m["text"]) <= 320 and not m.get("buttons") for m in sms)
