"""Never more confidentiality than exists: no answer promises privacy without its limits, and the limits
(serious risk, under 18, a member of staff) come before the student is asked to share the chat."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[3]
PROMISES = re.compile(r"\bkept private\b|\bin confidence\b|\bone exception\b|\bin control of what happens\b|"
                      r"\b(?:is|are|stays?) (?:completely |totally )?confidential\b", re.I)


def _domain_texts() -> list[str]:
    texts = []
    for path in sorted((ROOT / "bot" / "domain").glob("*.yml")):
        for variants in (yaml.safe_load(path.read_text(encoding="utf-8")).get("responses") or {}).values():
            texts += [variant["text"] for variant in variants if "text" in variant]
    return texts


def test_no_response_promises_privacy_without_its_limits():
    texts = _domain_texts()
    assert len(texts) > 50
    assert [text for text in texts if PROMISES.search(text)] == []
    for path in sorted((ROOT / "actions").glob("*.py")):
        assert not PROMISES.search(path.read_text(encoding="utf-8")), path.name


def test_the_first_confidentiality_answer_gives_the_limits_including_under_18():
    domain = yaml.safe_load((ROOT / "bot" / "domain" / "confidentiality.yml").read_text(encoding="utf-8"))
    rules = yaml.safe_load((ROOT / "data" / "rasa" / "rules" / "confidentiality.yml").read_text(encoding="utf-8"))
    first = next(rule for rule in rules["rules"] if rule["steps"][0] == {"intent": "ask_confidentiality"})
    said = [step["action"] for step in first["steps"][1:]]
    # the limits every institution shares, then what this institution's policy says about acting on its own
    assert said == ["utter_confidentiality", "utter_confidentiality_limits_short", "action_confidentiality_in_policy"]
    for variant in domain["responses"]["utter_confidentiality_limits_short"]:
        text = variant["text"]
        assert "under 18" in text and "serious risk" in text and "member of staff" in text
        assert "can promise complete confidentiality" in text


def test_the_confidentiality_answer_ends_with_this_policys_own_triggers():
    from assistant_testkit import fixture_profile

    from actions.policy import build_confidentiality_in_policy

    harbourside = " ".join(r.text for r in build_confidentiality_in_policy(fixture_profile("harbourside-college"),
                                                                          "webchat"))
    assert "serious safeguarding concern or a risk to others" in harbourside and "section 7.1.4" in harbourside
    assert "refer a matter to the police itself" in harbourside
    afon = " ".join(r.text for r in build_confidentiality_in_policy(fixture_profile("afon-valley-university"), "sms"))
    assert "can take a matter forward itself" in afon and "police" not in afon
    longest = build_confidentiality_in_policy(fixture_profile("longest-fields"), "sms")
    assert len(longest) == 2 and all(len(reply.text) <= 320 for reply in longest)
