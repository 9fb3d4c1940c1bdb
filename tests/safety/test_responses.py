"""Safety responses: every label has one per channel, SMS texts fit, and they combine sensibly."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from safety.gsm import fits_sms
from safety.responses import CHANNELS, ResponseFileError, get_responses, load_responses, safety_response
from safety.risk import get_classifier

SHIPPED = Path(__file__).resolve().parents[2] / "data" / "safety" / "responses.yml"


def test_every_label_has_a_web_and_an_sms_response() -> None:
    responses = get_responses()
    assert set(get_classifier().labels) == set(responses.by_label)
    for texts in (*responses.by_label.values(), responses.closing):
        assert set(texts) == set(CHANNELS)


def test_every_sms_text_fits_one_gsm7_budget() -> None:
    responses = get_responses()
    for texts in (*responses.by_label.values(), responses.closing):
        assert fits_sms(texts["sms"]), texts["sms"]


@pytest.mark.parametrize(
    ("label", "facts"),
    [
        ("immediate_danger", ["999", "55"]),
        ("suicide_self_harm", ["116 123", "SHOUT", "85258", "999", "A&E"]),
        # Without the institution's nation: every nation's SARC route (tests/signpost checks each nation's texts).
        ("recent_sexual_assault", ["SARC", "nhs.uk/sarcs", "newpathways.org.uk", "0800 148 88 88", "therowan.net",
                                   "999", "not your fault"]),
        ("under_18", ["Childline", "0800 1111", "Designated Safeguarding Lead", "adult you trust"]),
    ],
)
def test_responses_carry_the_facts(label: str, facts: list[str]) -> None:
    for channel in CHANNELS:
        text = get_responses().by_label[label][channel]
        for fact in facts:
            if channel == "sms" and fact == "Designated Safeguarding Lead":
                continue
            assert fact in text, (label, channel, fact)


def test_closing_is_honest_and_offers_a_person() -> None:
    for channel in CHANNELS:
        closing = get_responses().closing[channel]
        assert "automated assistant" in closing
        assert "welfare officer" in closing


def test_no_labels_no_messages() -> None:
    assert safety_response([], "web") == []
    assert safety_response(set(), "sms") == []


def test_one_label_then_the_closing() -> None:
    messages = safety_response({"suicide_self_harm"}, "web")
    assert messages == [get_responses().by_label["suicide_self_harm"]["web"], get_responses().closing["web"]]


def test_highest_priority_first_and_sms_capped() -> None:
    labels = {"under_18", "suicide_self_harm", "immediate_danger"}
    web = safety_response(labels, "web")
    assert len(web) == 4 and "999" in web[0] and "116 123" in web[1] and "Childline" in web[2]
    sms = safety_response(labels, "sms")
    assert len(sms) == 3
    assert "press 55" in sms[0] and "116 123" in sms[1] and "automated assistant" in sms[2]
    assert all(fits_sms(message) for message in sms)


def test_unknown_labels_are_ignored_and_unknown_channels_refused() -> None:
    assert safety_response({"nonsense"}, "web") == []
    with pytest.raises(ValueError, match="unknown channel"):
        safety_response({"under_18"}, "whatsapp")


def edited(tmp_path: Path, label: str, channel: str, text: str) -> Path:
    data = yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))
    data["responses"][label][channel] = text
    path = tmp_path / "responses.yml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def test_too_long_sms_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ResponseFileError, match=r"responses.under_18.sms: must be plain GSM-7 within 320"):
        load_responses(edited(tmp_path, "under_18", "sms", "x" * 321))


def test_non_gsm_sms_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ResponseFileError, match=r"responses.immediate_danger.sms"):
        load_responses(edited(tmp_path, "immediate_danger", "sms", "Call 999 \u2014 you\u2019re not alone"))


def test_missing_text_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ResponseFileError, match=r"responses.under_18: needs non-empty 'web' and 'sms'"):
        load_responses(edited(tmp_path, "under_18", "web", ""))


def test_path_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SAFETY_RESPONSES_PATH", str(edited(tmp_path, "under_18", "sms", "Call Childline.")))
    assert load_responses().by_label["under_18"]["sms"] == "Call Childline."


def test_every_number_in_a_safety_response_is_a_verified_directory_contact() -> None:
    """A number we have not confirmed must never reach someone in crisis."""
    import re

    from signpost import load_directory
    from signpost.phones import digits

    verified = {
        digits(contact.value)
        for service in load_directory().services
        for contact in service.contacts
        if contact.verified and contact.kind in ("phone", "text")
    }
    texts = [t for by_channel in get_responses().by_label.values() for t in by_channel.values()]
    numbers = {digits(n) for text in texts for n in re.findall(r"\b\d[\d ]{1,14}\d\b", text)}
    numbers.discard("55")  # the Silent Solution key press, not a number to call
    assert numbers, "expected phone numbers in the safety responses"
    assert numbers <= verified, f"not verified in data/services.yml: {sorted(numbers - verified)}"


# ---- every combination the max_labels logic can produce ----------------------------------------------------

def _combinations() -> list[frozenset[str]]:
    from itertools import combinations

    labels = [*get_responses().by_label, "check_failed"]
    return [frozenset(c) for n in range(1, len(labels) + 1) for c in combinations(labels, n)]


@pytest.mark.parametrize("channel", CHANNELS)
def test_every_label_text_puts_999_in_its_first_160_characters(channel: str) -> None:
    responses = get_responses()
    for label, texts in (*responses.by_label.items(), ("check_failed", responses.check_failed)):
        assert "999" in texts[channel][:160], (label, channel)


@pytest.mark.parametrize("channel", CHANNELS)
def test_every_combination_opens_with_999_fits_and_is_capped(channel: str) -> None:
    responses = get_responses()
    for labels in _combinations():
        messages = safety_response(labels, channel)
        assert "999" in messages[0][:160], (sorted(labels), channel)
        assert len(messages) <= responses.max_labels[channel] + 1
        assert "automated assistant" in messages[-1]
        if channel == "sms":
            assert all(fits_sms(m) for m in messages), sorted(labels)


def test_an_under_18_on_sms_always_gets_childline_whatever_else_is_raised() -> None:
    for labels in _combinations():
        if "under_18" in labels:
            assert "0800 1111" in " ".join(safety_response(labels, "sms")), sorted(labels)


def test_under_18_with_two_other_labels_on_sms_keeps_childline_on_the_closing() -> None:
    sms = safety_response({"under_18", "immediate_danger", "suicide_self_harm"}, "sms")
    assert len(sms) == 3 and "press 55" in sms[0] and "116 123" in sms[1]
    assert "automated assistant" in sms[2] and "Childline is free on 0800 1111" in sms[2] and fits_sms(sms[2])


def test_childline_is_not_repeated_when_the_under_18_text_itself_is_sent() -> None:
    sms = safety_response({"under_18", "recent_sexual_assault"}, "sms")
    assert " ".join(sms).count("0800 1111") == 1


def test_an_always_on_line_that_would_not_fit_is_refused(tmp_path: Path) -> None:
    data = yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))
    data["always_on_sms"]["under_18"] = "Childline 0800 1111. " + "x" * 200
    path = tmp_path / "responses.yml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(ResponseFileError, match="always_on_sms"):
        load_responses(path)


def test_crisis_replies_on_the_web_come_in_short_paragraphs() -> None:
    responses = get_responses()
    web = {where: text for where, text in responses.texts().items() if where.endswith(".web")}
    crisis = {where: text for where, text in web.items() if where.startswith(("responses.", "check_failed"))}
    assert len(crisis) >= 9  # four labels, four nations' assault texts, the fail-safe text
    for where, text in crisis.items():
        parts = text.split("\n\n")
        assert len(parts) >= (2 if where.startswith("check_failed") else 3), where
        assert all(part and "\n" not in part and len(part) <= 400 for part in parts), where
    # The first paragraph of the danger and suicide replies is the action to take, on its own.
    assert responses.messages(["immediate_danger"], "web")[0].split("\n\n")[0] == (
        "If you are in danger right now, please call 999.")
    assert "999" in responses.messages(["suicide_self_harm"], "web")[0].split("\n\n")[0]


def test_an_sms_text_with_a_line_break_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ResponseFileError, match=r"responses.under_18.sms: one paragraph only"):
        load_responses(edited(tmp_path, "under_18", "sms", "Call 999.\nChildline: 0800 1111."))
