"""The safety response action, run as the action server runs it."""

from __future__ import annotations

import pytest
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


# ---- the check-in ------------------------------------------------------------------------------------------

def _answer_tracker(intent: str, channel: str, kind: str | None, metadata: dict | None = None) -> Tracker:
    latest = {"text": "…", "intent": {"name": intent, "confidence": 1.0}, "entities": [],
              "metadata": metadata or {}}
    return Tracker(
        "student", {"check_in": kind}, latest,
        [{"event": "user", "text": "…", "parse_data": latest, "input_channel": channel}],
        False, None, {}, "action_listen",
    )


async def test_the_check_in_is_asked_with_quick_replies_on_the_web_and_marked_for_the_service():
    from rasa_sdk.events import SlotSet

    from actions.safety import ActionCheckIn

    latest = {"text": "…", "intent": {"name": "safety_check_in", "confidence": 1.0},
              "entities": [{"entity": "check_in", "value": "suicide"}]}
    tracker = Tracker("student", {}, latest, [{"event": "user", "text": "…", "parse_data": latest,
                                               "input_channel": "webchat"}], False, None, {}, "action_listen")
    dispatcher = CollectingDispatcher()
    events = await ActionCheckIn().run(dispatcher, tracker, {})
    question, marker = dispatcher.messages
    assert "are you thinking about suicide" in question["text"]
    assert "116 123" in question["text"] and "999" in question["text"]  # help at once, answered or not
    assert [b["title"] for b in question["buttons"]] == ["Yes", "No", "I'd rather not say"]
    assert marker["custom"] == {"check_in": "suicide"}
    assert events == [SlotSet("check_in", "suicide")]


async def test_the_check_in_on_sms_asks_for_yes_or_no_without_buttons():
    from actions.safety import ActionCheckIn

    latest = {"text": "…", "intent": {"name": "safety_check_in", "confidence": 1.0},
              "entities": [{"entity": "check_in", "value": "safety"}]}
    tracker = Tracker("student", {}, latest, [{"event": "user", "text": "…", "parse_data": latest,
                                               "input_channel": "sms"}], False, None, {}, "action_listen")
    dispatcher = CollectingDispatcher()
    await ActionCheckIn().run(dispatcher, tracker, {})
    assert "are you safe right now? Reply YES or NO" in dispatcher.messages[0]["text"]
    assert "999" in dispatcher.messages[0]["text"]
    assert not dispatcher.messages[0]["buttons"] and fits_sms(dispatcher.messages[0]["text"])


async def _answer(intent, channel, kind, metadata=None):
    from actions.safety import ActionCheckInAnswer

    dispatcher = CollectingDispatcher()
    events = await ActionCheckInAnswer().run(dispatcher, _answer_tracker(intent, channel, kind, metadata), {})
    return events, dispatcher.messages


async def test_yes_to_the_suicide_check_in_gets_the_suicide_response_and_the_offer_of_a_person():
    events, messages = await _answer("affirm", "webchat", "suicide")
    text = " ".join(m["text"] for m in messages)
    assert "116 123" in text and "999" in text and "not a person" in messages[-1]["text"]
    assert {b["payload"] for b in messages[-1]["buttons"]} >= {"/request_person"}
    assert events[0]["event"] == "slot" and events[0]["value"] is None


async def test_no_to_are_you_safe_gets_the_danger_response_on_sms():
    _, messages = await _answer("deny", "sms", "safety")
    assert "press 55" in messages[0]["text"] and all(fits_sms(m["text"]) for m in messages)


async def test_no_to_the_suicide_check_in_is_thanked_and_support_offered_without_pressure():
    from safety.check_in import get_check_in

    _, messages = await _answer("deny", "webchat", "suicide")
    assert [m["text"] for m in messages] == [get_check_in().answered_no["web"]]


async def test_rather_not_say_is_respected():
    from safety.check_in import get_check_in

    _, messages = await _answer("check_in_skip", "sms", "suicide")
    assert [m["text"] for m in messages] == [get_check_in().rather_not_say["sms"]]


@pytest.mark.parametrize(("channel", "kind"), [("webchat", "suicide"), ("sms", "suicide"), ("sms", "safety")])
async def test_an_answer_the_service_read_as_more_with_a_sign_is_heard_with_the_numbers(channel, kind):
    from safety.check_in import READ, SAID_MORE, get_check_in

    _, messages = await _answer("check_in_skip", channel, kind, {READ: SAID_MORE})
    [text] = [m["text"] for m in messages]
    assert text == get_check_in().reply_to(SAID_MORE, channel, kind) and "999" in text
    assert text != get_check_in().rather_not_say["sms" if channel == "sms" else "web"]


async def test_a_reading_the_service_did_not_send_is_ignored():
    from safety.check_in import READ, get_check_in

    _, messages = await _answer("check_in_skip", "sms", "suicide", {READ: ["said_more"]})
    assert [m["text"] for m in messages] == [get_check_in().rather_not_say["sms"]]


async def test_a_quick_reply_yes_uses_the_labels_the_service_sent():
    from safety.verdict import Verdict

    verdict = Verdict(labels=frozenset({"suicide_self_harm", "under_18"}), severity=3, layer="check_in", score=1.0)
    _, messages = await _answer("affirm", "webchat", "suicide", {"safety": verdict.to_metadata()})
    text = " ".join(m["text"] for m in messages)
    assert "116 123" in text and "0800 1111" in text
