"""The risk detector overrules the intent classifier only when the safety check raises a label."""

from __future__ import annotations

import pytest
from rasa.shared.nlu.training_data.message import Message

from bot.risk_detector import RISK_ENTITY, RISK_INTENT, RiskDetector
from safety.risk import get_classifier


@pytest.fixture(scope="module")
def detector() -> RiskDetector:
    return RiskDetector(get_classifier())


def _classified(text: str, intent: str = "greet") -> Message:
    message = Message(data={"text": text})
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
