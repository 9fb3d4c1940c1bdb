"""Every reply an SMS user can get fits one GSM-7 message of 320 characters, and every reply is
plain English. Custom actions are checked with every institution profile in the tests."""

from __future__ import annotations

import re
import statistics
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from assistant_testkit import (
    ALL_ACTIONS,
    ALL_FIXTURE_PROFILES,
    REALISTIC_PROFILES,
    fixture_profile,
    grade,
    load_domain,
    make_tracker,
    run_action,
)

from actions import contact, options, privacy, relationships, reporting
from actions.common import SMS, WEB
from safety.gsm import fits_sms, gsm7_length, is_gsm7

LONDON = ZoneInfo("Europe/London")
DOMAIN = load_domain()
RESPONSES = DOMAIN["responses"]

# Readability: Flesch-Kincaid grade 7 is a reading age of about 12.
MAX_GRADE = 10.0
MAX_MEAN_GRADE = 7.0
# Names the law gives that cannot be put more simply (the nine protected characteristics).
GRADE_ALLOWANCES = {"utter_harassment_protected": 12.0}

MOMENTS = (
    datetime(2025, 3, 4, 11, 0, tzinfo=LONDON),  # open
    datetime(2025, 3, 7, 20, 30, tzinfo=LONDON),  # Friday evening
    datetime(2025, 12, 24, 18, 0, tzinfo=LONDON),  # before Christmas
)

BUILDERS = {
    "formal_report": reporting.build_formal_report,
    "report_process": reporting.build_report_process,
    "time_limits": reporting.build_time_limits,
    "appeal": reporting.build_appeal,
    "internal_support": contact.build_internal_support,
    "chat_data": privacy.build_chat_data,
    "informal_routes": options.build_informal_routes,
    "anonymous": options.build_anonymous,
    "staff_student": relationships.build_staff_student,
    **{
        f"contact_details_{i}": (lambda p, c, moment=moment: contact.build_contact_details(p, c, moment))
        for i, moment in enumerate(MOMENTS)
    },
}


def sms_variants(name: str) -> list[dict]:
    """What an SMS user receives: the sms variants, or else the variants without a channel."""
    variants = RESPONSES[name]
    chosen = [v for v in variants if v.get("channel") == SMS]
    return chosen or [v for v in variants if not v.get("channel")]


# --- domain responses -----------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(RESPONSES))
def test_what_sms_users_receive_fits_one_gsm7_message(name: str) -> None:
    for variant in sms_variants(name):
        text = variant["text"]
        assert is_gsm7(text), f"{name}: not pure GSM-7: {[c for c in text if not is_gsm7(c)]}"
        assert fits_sms(text), f"{name}: {gsm7_length(text)} characters is over 320"
        assert "buttons" not in variant or variant.get("channel") != SMS, f"{name}: SMS has no buttons"


@pytest.mark.parametrize("name", sorted(RESPONSES))
def test_responses_with_quick_replies_have_an_sms_variant(name: str) -> None:
    if any(v.get("buttons") for v in RESPONSES[name]):
        assert any(v.get("channel") == SMS for v in RESPONSES[name]), (
            f"{name} has quick replies, so SMS users need their own wording"
        )


def test_quick_replies_lead_to_known_intents() -> None:
    intents = set(DOMAIN["intents"])
    for name, variants in RESPONSES.items():
        for variant in variants:
            for item in variant.get("buttons") or []:
                assert re.fullmatch(r"/[a-z_]+", item["payload"]), (name, item)
                assert item["payload"][1:] in intents, (name, item)
                assert len(item["title"]) <= 30, (name, item["title"])


def test_no_typographic_characters_anywhere() -> None:
    for name, variants in RESPONSES.items():
        for variant in variants:
            assert is_gsm7(variant["text"]), name


# --- custom actions --------------------------------------------------------------------------


@pytest.mark.parametrize("profile", ("example", *ALL_FIXTURE_PROFILES))
def test_action_texts_sent_to_sms_fit(use_profile, profile: str) -> None:
    """What the action server really sends on SMS, for every profile (including one with every
    field at its longest), fits the budget."""
    use_profile(profile)
    for action_class in ALL_ACTIONS:
        _, messages = run_action(action_class(), make_tracker(SMS))
        for message in messages:
            assert fits_sms(message["text"]), (profile, action_class.__name__, message["text"])
            assert not message.get("buttons")


@pytest.mark.parametrize("profile", ("example", *REALISTIC_PROFILES))
def test_sms_wording_fits_without_splitting(profile: str) -> None:
    """For realistic profiles, the SMS wording is written to fit: nothing relies on splitting."""
    institution = fixture_profile(profile)
    for label, build in BUILDERS.items():
        for reply in build(institution, SMS):
            assert fits_sms(reply.text), (profile, label, gsm7_length(reply.text), reply.text)
            assert not reply.buttons


# --- readability -----------------------------------------------------------------------------


def all_texts() -> list[tuple[str, str]]:
    """(label, text) for every response variant and every action reply with the example profile."""
    texts = [
        (f"{name}[{variant.get('channel', 'web')}]", variant["text"])
        for name, variants in sorted(RESPONSES.items())
        for variant in variants
    ]
    example = fixture_profile("example")
    for label, build in BUILDERS.items():
        for channel in (WEB, SMS):
            texts += [(f"{label}[{channel}]#{i}", r.text) for i, r in enumerate(build(example, channel))]
    return texts


TEXTS = all_texts()


@pytest.mark.parametrize(("label", "text"), TEXTS, ids=[label for label, _ in TEXTS])
def test_each_reply_is_plain_english(label: str, text: str) -> None:
    name = label.split("[")[0]
    score = grade(text)
    limit = GRADE_ALLOWANCES.get(name, MAX_GRADE)
    assert score <= limit, f"{label}: Flesch-Kincaid grade {score:.1f} is above {limit}: {text}"


@pytest.mark.parametrize("profile", REALISTIC_PROFILES)
def test_action_replies_stay_plain_for_every_profile(profile: str) -> None:
    institution = fixture_profile(profile)
    for label, build in BUILDERS.items():
        for channel in (WEB, SMS):
            for reply in build(institution, channel):
                assert grade(reply.text) <= MAX_GRADE, (profile, label, channel, reply.text)


def test_readability_report() -> None:
    """Prints the grade of every reply (run with -s to see it) and checks the average."""
    scores = sorted(((grade(text), label) for label, text in TEXTS), reverse=True)
    mean = statistics.mean(score for score, _ in scores)
    print(f"\nFlesch-Kincaid grade per reply (mean {mean:.1f}, {len(scores)} replies):")
    for score, label in scores:
        print(f"  {score:5.1f}  {label}")
    assert mean <= MAX_MEAN_GRADE, f"average grade {mean:.1f} is above {MAX_MEAN_GRADE}"
