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
from actions.options import build_informal_routes
from actions.reporting import build_appeal, build_report_process

BUILDERS = (build_appeal, build_report_process, build_informal_routes, build_internal_support)
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
)


def _said(profile_id: str, channel: str) -> list[str]:
    profile = fixture_profile(profile_id)
    return [reply.text for build in BUILDERS for reply in build(profile, channel)]


@pytest.mark.parametrize("profile_id", ALL_FIXTURE_PROFILES)
@pytest.mark.parametrize("channel", ["webchat", SMS])
def test_every_procedural_statement_is_backed_by_the_profile(profile_id: str, channel: str) -> None:
    profile = fixture_profile(profile_id)
    for text in _said(profile_id, channel):
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
            assert f"your policy, section {cite})" in web or f"(your policy: {cite})" in web, (profile_id, fact)
    assert "your policy" not in sms



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
