"""The risk detector overrules the intent classifier only when the safety check raises a label."""

from __future__ import annotations

import pytest
from rasa.shared.nlu.training_data.message import Message

from bot.risk_detector import CHECK_IN_ENTITY, CHECK_IN_INTENT, RISK_ENTITY, RISK_INTENT, RiskDetector
from safety.verdict import Verdict, get_safety_check


@pytest.fixture(scope="module")
def detector() -> RiskDetector:
    return RiskDetector(get_safety_check())


def _classified(text: str, intent: str = "greet", metadata: dict | None = None) -> Message:
    message = Message(data={"text": text, "metadata": metadata or {}})
    message.set("intent", {"name": intent, "confidence": 0.9}, add_to_output=True)
    message.set("intent_ranking", [{"name": intent, "confidence": 0.9}], add_to_output=True)
    message.set("entities", [], add_to_output=True)
    return message


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("i want to kms", "suicide_self_harm"),
        ("he's outside my door right now and i can't get away", "immediate_danger"),
    ],
)
def test_a_crisis_message_becomes_risk_detected_whatever_was_predicted(detector, text, label):
    [message] = detector.process([_classified(text, intent="out_of_scope")])
    assert message.get("intent") == {"name": RISK_INTENT, "confidence": 1.0}
    assert message.get("intent_ranking")[0]["name"] == RISK_INTENT
    assert {e["value"] for e in message.get("entities") if e["entity"] == RISK_ENTITY} == {label}
    assert "intent" in message.output_properties and "entities" in message.output_properties


@pytest.mark.parametrize("text", ["this essay is killing me", "what happens if I report to the police", "hello"])
def test_ordinary_messages_keep_their_intent(detector, text):
    [message] = detector.process([_classified(text)])
    assert message.get("intent")["name"] == "greet"
    assert message.get("entities") == []


class _Counting:
    """The real check, counting how often the detector asks it."""

    def __init__(self) -> None:
        self.real = get_safety_check()
        self.labels = self.real.labels
        self.calls = 0

    def assess(self, text: str) -> Verdict:
        self.calls += 1
        return self.real.assess(text)


def test_the_services_verdict_is_used_and_the_text_is_not_checked_again():
    check = _Counting()
    detector = RiskDetector(check)  # type: ignore[arg-type]
    sent = get_safety_check().assess("i want to kms").to_metadata()
    [flagged] = detector.process([_classified("i want to kms", metadata={"safety": sent})])
    clear = Verdict().to_metadata()
    [ordinary] = detector.process([_classified("hello", metadata={"institution_id": "x", "safety": clear})])
    assert check.calls == 0
    assert flagged.get("intent")["name"] == RISK_INTENT and ordinary.get("intent")["name"] == "greet"


def test_a_label_the_service_raised_is_answered_even_if_the_words_look_ordinary():
    verdict = Verdict(labels=frozenset({"suicide_self_harm"}), severity=3, layer="model", score=0.91)
    [message] = RiskDetector(get_safety_check()).process(
        [_classified("cant see the point of tomorrow", metadata={"safety": verdict.to_metadata()})]
    )
    assert {e["value"] for e in message.get("entities") if e["entity"] == RISK_ENTITY} == {"suicide_self_harm"}


@pytest.mark.parametrize("bad", [
    None, "no", [], {"labels": "suicide_self_harm"}, {"labels": ["made_up"], "severity": 3},
    {"labels": [], "severity": True}, {"labels": [], "severity": 0, "score": float("nan")},
    {"labels": [], "severity": 0, "layer": "oracle"},
])
def test_a_missing_or_malformed_verdict_means_the_text_is_checked_here(bad):
    check = _Counting()
    [message] = RiskDetector(check).process(  # type: ignore[arg-type]
        [_classified("i want to kms", metadata={"safety": bad})]
    )
    assert check.calls == 1 and message.get("intent")["name"] == RISK_INTENT


# ---- the check-in ------------------------------------------------------------------------------------------

def _check_in_asked(message: Message) -> list[str]:
    return [e["value"] for e in message.get("entities") if e["entity"] == CHECK_IN_ENTITY]


@pytest.mark.parametrize("kind", ["suicide", "safety"])
def test_a_verdict_that_asks_for_a_check_in_becomes_the_check_in_intent(kind):
    check = _Counting()
    verdict = Verdict(layer="model", score=0.5, check_in=kind)
    [message] = RiskDetector(check).process(  # type: ignore[arg-type]
        [_classified("i dont know anymore", intent="ask_help", metadata={"safety": verdict.to_metadata()})]
    )
    assert message.get("intent") == {"name": CHECK_IN_INTENT, "confidence": 1.0}
    assert _check_in_asked(message) == [kind] and check.calls == 0


@pytest.mark.parametrize("not_understood", ["nlu_fallback", "out_of_scope"])
def test_a_message_not_understood_with_a_weak_signal_gets_a_check_in_not_a_dead_end(not_understood):
    verdict = Verdict(low_confidence=frozenset({"recent_sexual_assault"}))
    [message] = RiskDetector(get_safety_check()).process(
        [_classified("it was last night i think", intent=not_understood, metadata={"safety": verdict.to_metadata()})]
    )
    assert message.get("intent")["name"] == CHECK_IN_INTENT and _check_in_asked(message) == ["safety"]


def test_a_weak_signal_in_a_message_that_was_understood_keeps_its_intent():
    verdict = Verdict(low_confidence=frozenset({"suicide_self_harm"}))
    [message] = RiskDetector(get_safety_check()).process(
        [_classified("this essay is killing me", intent="ask_help", metadata={"safety": verdict.to_metadata()})]
    )
    assert message.get("intent")["name"] == "ask_help" and message.get("entities") == []


def test_a_label_wins_over_a_check_in():
    verdict = Verdict(labels=frozenset({"under_18"}), severity=1, layer="rule", score=1.0, check_in="safety")
    [message] = RiskDetector(get_safety_check()).process(
        [_classified("im 15", metadata={"safety": verdict.to_metadata()})]
    )
    assert message.get("intent")["name"] == RISK_INTENT and _check_in_asked(message) == []


def _reply(text: str, intent: str, confidence: float, verdict: Verdict) -> Message:
    message = _classified(text, intent=intent, metadata={"safety": verdict.to_metadata()})
    message.set("intent", {"name": intent, "confidence": confidence}, add_to_output=True)
    return RiskDetector(get_safety_check()).process([message])[0]


def test_a_check_in_is_asked_whatever_the_classifier_guessed():
    # Distress is often read as a plain reply: "i can't go on" as deny, "thank you for everything" as thanks.
    model_only = Verdict(layer="check_in", score=0.44, check_in="suicide")
    for text, intent in (("i ca n't go on", "deny"), ("thank you for everything", "thank"), ("sure thing", "affirm")):
        message = _reply(text, intent, 0.97, model_only)
        assert message.get("intent")["name"] == CHECK_IN_INTENT and _check_in_asked(message) == ["suicide"], text
