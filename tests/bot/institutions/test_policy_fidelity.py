"""Fidelity: every procedural statement the actions make is backed by a fact in that institution's profile.

For each profile, every reply the profile-driven actions can give is rendered on the web and by SMS; a
statement about appeals, investigation, the informal route's limits or counselling appears only when the
profile states that fact (from its policy), and on the web it carries the policy's section.
"""

from __future__ import annotations

import re

import pytest
from assistant_testkit import ALL_FIXTURE_PROFILES, fixture_profile

from actions.common import SMS
from actions.contact import build_internal_support
from actions.options import build_anonymous, build_informal_routes
from actions.policy import TOPICS, build_policy_answer
from actions.relationships import build_staff_student
from actions.reporting import build_appeal, build_formal_report, build_report_process, build_time_limits
from institutions.procedure import STATED
from safety.gsm import is_gsm7

BUILDERS = (build_appeal, build_report_process, build_informal_routes, build_internal_support, build_anonymous,
            build_time_limits, build_formal_report, build_staff_student,
            *(lambda p, c, i=intent: build_policy_answer(p, i, c) for intent in TOPICS))
# A statement -> the profile fact it needs.
NEEDS = (
    (re.compile(r"\byou can appeal\b|\bAppeals go to\b|\bAn appeal can be about\b", re.I),
     lambda p: p.procedure.appeal is not None),
    (re.compile(r"other person can appeal", re.I),
     lambda p: p.procedure.appeal is not None and p.procedure.appeal.other_party_may_appeal is True),
    (re.compile(r"hasn't been involved before", re.I),
     lambda p: p.procedure.investigation is not None and p.procedure.investigation.independent is True),
    (re.compile(r"meet each person on their own", re.I),
     lambda p: p.procedure.investigation is not None and p.procedure.investigation.meets_separately is True),
    (re.compile(r"mediation or a meeting with the other person", re.I),
     lambda p: p.procedure.investigation is not None and p.procedure.investigation.may_meet_together is True),
    (re.compile(r"informal route isn't used|It's not used for", re.I),
     lambda p: p.procedure.informal is not None and bool(p.procedure.informal.not_for)),
    (re.compile(r"offers counselling|for counselling", re.I), lambda p: p.procedure.counselling is not None),
    (re.compile(r"\bIt's your choice, and you can still make a formal complaint", re.I),
     lambda p: p.procedure.informal is not None and p.procedure.informal.chosen_by == "person_affected"),
    (re.compile(r"time limit for a formal complaint", re.I), lambda p: p.reporting.time_limit is not None),
    (re.compile(r"aims to finish within", re.I), lambda p: p.reporting.investigation_target is not None),
    (re.compile(r"risk assessment", re.I), lambda p: False),  # no policy here names one
    (re.compile(r"usually can't lead to action|can lead to wider safety action", re.I),
     lambda p: p.procedure.says("anonymous") is not None),
    (re.compile(r"partner university", re.I), lambda p: p.procedure.says("partner_university") is not None),
    (re.compile(r"You'll get a reply", re.I), lambda p: p.reporting.acknowledgement is not None),
    (re.compile(r"You can bring someone with you", re.I), lambda p: p.reporting.accompaniment is not None),
)


def _other_policies_sentences(profile_id: str) -> dict[str, str]:
    """Every stated sentence of the other shipped profiles, by fact (what must never be borrowed)."""
    out = {}
    for other in ALL_FIXTURE_PROFILES:
        if other == profile_id:
            continue
        for fact, stated in fixture_profile(other).procedure.stated.items():
            out[f"{other}:{fact}"] = stated.says
    return out


def _said(profile_id: str, channel: str) -> list[str]:
    profile = fixture_profile(profile_id)
    return [reply.text for build in BUILDERS for reply in build(profile, channel)]


@pytest.mark.parametrize("profile_id", ALL_FIXTURE_PROFILES)
@pytest.mark.parametrize("channel", ["webchat", SMS])
def test_every_procedural_statement_is_backed_by_the_profile(profile_id: str, channel: str) -> None:
    profile = fixture_profile(profile_id)
    own = [stated.says for stated in profile.procedure.stated.values()]
    own += [profile.procedure.appeal.note] if profile.procedure.appeal and profile.procedure.appeal.note else []
    for said in _said(profile_id, channel):
        text = said
        for sentence in own:  # the profile's own sentences are backed by definition
            text = text.replace(sentence, "")
        # "... doesn't say anything about a partner university's procedure" states no rule
        text = " ".join(part for part in re.split(r"(?<=[.!?])\s+", text) if "doesn't say" not in part)
        for pattern, backed in NEEDS:
            if pattern.search(text):
                assert backed(profile), f"{profile_id} ({channel}) says {pattern.pattern!r} without it: {text}"


@pytest.mark.parametrize("profile_id", ALL_FIXTURE_PROFILES)
def test_stated_facts_carry_their_section_on_the_web_and_not_by_sms(profile_id: str) -> None:
    profile = fixture_profile(profile_id)
    web, sms = " ".join(_said(profile_id, "webchat")), " ".join(_said(profile_id, SMS))
    for fact in ("appeal", "informal", "counselling"):
        cite = profile.procedure.cited(fact)
        if cite:
            document = "guidance" if profile.kind == "local_authority" else "policy"
            assert f"your {document}, section {cite})" in web or f"(your {document}: {cite})" in web, (profile_id, fact)
    assert "your policy" not in sms and "your guidance" not in sms



@pytest.mark.parametrize("channel", ["webchat", SMS])
def test_staff_and_apprentices_are_not_told_about_studies_or_extensions(channel: str) -> None:
    staff = " ".join(r.text for r in build_internal_support(fixture_profile("brookfield-schools"), channel))
    apprentices = " ".join(r.text for r in build_internal_support(fixture_profile("northway-apprenticeships"), channel))
    students = " ".join(r.text for r in build_internal_support(fixture_profile("harbourside-college"), channel))
    assert "changes to your work" in staff and "studies" not in staff and "extensions" not in staff
    assert "changes to your training or work" in apprentices and "extensions" not in apprentices
    assert "extensions" in students


def test_no_answer_assumes_a_college_or_university() -> None:
    import yaml
    from assistant_testkit import DOMAIN_DIR

    texts = [variant["text"] for path in sorted(DOMAIN_DIR.glob("*.yml"))
             for variants in (yaml.safe_load(path.read_text(encoding="utf-8")).get("responses") or {}).values()
             for variant in variants if "text" in variant]
    assert not [text for text in texts if re.search(r"college or university|university or college", text, re.I)]


@pytest.mark.parametrize("profile_id", ALL_FIXTURE_PROFILES)
@pytest.mark.parametrize("channel", ["webchat", SMS])
def test_policy_questions_get_this_policys_fact_or_an_honest_gap(profile_id: str, channel: str) -> None:
    profile = fixture_profile(profile_id)
    borrowed = _other_policies_sentences(profile_id)
    for intent, (fact, _topic) in TOPICS.items():
        replies = build_policy_answer(profile, intent, channel)
        said = " ".join(reply.text for reply in replies)
        stated = profile.procedure.says(fact)
        if stated is None:
            assert re.search(r"(policy|guidance) doesn't say", said), (profile_id, intent, said)
        else:
            assert stated.says in said, (profile_id, intent)
            if channel != SMS:
                assert re.search(rf"(section |\(your (policy|guidance): ){re.escape(stated.cite)}\)", said), said
        for where, sentence in borrowed.items():
            if stated is None or sentence != stated.says:
                assert sentence not in said, f"{profile_id} borrowed {where}"
        if channel == SMS:
            assert all(is_gsm7(reply.text) and len(reply.text) <= 320 for reply in replies), said
            assert "your policy" not in said and "your guidance" not in said


def test_every_stated_fact_is_answered_somewhere() -> None:
    """A fact a profile can hold that no answer reads would be a silent gap in the schema."""
    read = {fact for fact, _ in TOPICS.values()} | {"anonymous", "outcome_told", "staff_relationships",
                                                      "act_without_consent"}
    assert set(STATED) <= read
