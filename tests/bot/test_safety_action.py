"""The safety response action, run as the action server runs it."""

from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.safety import ActionSafetyResponse
from safety.gsm import fits_sms


def _tracker(labels: list[str], channel: str) -> Tracker:
    entities = [{"entity": "risk_label", "value": label} for label in labels]
    latest = {"text": "…", "intent": {"name": "risk_detected", "confidence": 1.0}, "entities": entities}
    return Tracker(
        "student", {}, latest,
        [{"event": "user", "text": "…", "parse_data": latest, "input_channel": channel}],
        False, None, {}, "action_listen",
    )


async def _run(labels, channel):
    dispatcher = CollectingDispatcher()
    events = await ActionSafetyResponse().run(dispatcher, _tracker(labels, channel), {})
    return events, dispatcher.messages


async def test_web_users_get_emergency_numbers_then_the_offer_of_a_person():
    events, messages = await _run(["suicide_self_harm"], "webchat")
    assert events == []
    text = " ".join(m["text"] for m in messages)
    assert "116 123" in text and "85258" in text and "999" in text
    assert "not a person" in messages[-1]["text"]
    assert {b["payload"] for b in messages[-1]["buttons"]} >= {"/request_person"}


async def test_sms_users_get_messages_that_each_fit_one_budget_and_no_buttons():
    _, messages = await _run(["immediate_danger", "recent_sexual_assault"], "sms")
    assert messages and all(fits_sms(m["text"]) for m in messages)
    assert not any(m.get("buttons") for m in messages)
    assert "999" in messages[0]["text"] and "55" in messages[0]["text"]


async def test_an_under_18_gets_childline_and_a_trusted_adult():
    _, messages = await _run(["under_18"], "webchat")
    text = " ".join(m["text"] for m in messages)
    assert "0800 1111" in text and "trust" in text
