"""Asking for a person, from the assistant's side: what the student reads at each step."""

from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.handoff import (
    ActionHandoffGoal,
    ActionHandoffIntro,
    ActionRequestHandoff,
    ActionResumeCase,
    _texts_stay_on_the_phone,
    handoff_replies,
)
from actions.handoff_client import HandoffClient
from safety.gsm import fits_sms

NOWHERE = HandoffClient(base_url="http://127.0.0.1:9", token="", timeout=1.0)  # nothing listens there


def _tracker(channel: str, intent: str = "request_person", text: str = "…", slots: dict | None = None) -> Tracker:
    latest = {"text": text, "intent": {"name": intent, "confidence": 1.0}, "entities": []}
    return Tracker("student-1", slots or {}, latest,
                   [{"event": "user", "text": text, "parse_data": latest, "input_channel": channel,
                     "timestamp": 1700000000.0}],
                   False, None, {}, "action_listen")


async def _run(action, tracker):
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, tracker, {})
    return events, dispatcher.messages


async def test_the_intro_says_a_real_person_joins_that_they_can_stay_anonymous_and_asks_consent():
    _, web = await _run(ActionHandoffIntro(), _tracker("webchat"))
    text = " ".join(m["text"] for m in web)
    assert "real person" in text and "don't have to give your name" in text
    assert [b["payload"] for b in web[-1]["buttons"]] == ["/affirm", "/deny"]
    _, sms = await _run(ActionHandoffIntro(), _tracker("sms"))
    assert all(fits_sms(m["text"]) for m in sms) and "YES" in sms[-1]["text"]


async def test_the_consent_answer_is_kept_and_the_goal_question_follows():
    events, messages = await _run(ActionHandoffGoal(), _tracker("webchat", intent="affirm"))
    assert {"event": "slot", "name": "handoff_share", "value": True, "timestamp": None} in events
    assert {b["payload"] for b in messages[-1]["buttons"]} == {"/goal_talk", "/goal_disclose", "/goal_report"}
    events, sms = await _run(ActionHandoffGoal(), _tracker("sms", intent="deny"))
    assert events[0]["value"] is False and "TALK" in sms[0]["text"] and fits_sms(sms[0]["text"])


def test_in_hours_the_student_gets_the_reference_and_their_place_in_the_queue():
    [reply] = handoff_replies({"reference": "KMX-4QT", "available": True, "position": 3}, "webchat")
    assert "KMX-4QT" in reply.text and "2 people ahead of you" in reply.text and "keep writing" in reply.text
    [with_wait] = handoff_replies({"reference": "KMX-4QT", "available": True, "position": 1,
                                   "wait_words": "about 10 minutes"}, "sms")
    assert "next in the queue" in with_wait.text and "about 10 minutes" in with_wait.text
    assert fits_sms(with_wait.text)


def test_out_of_hours_the_student_is_told_when_and_offered_a_call_back_and_24_7_help():
    result = {"reference": "KMX-4QT", "available": False, "in_hours": False, "next_open_words": "Monday at 09:00"}
    web = handoff_replies(result, "webchat")
    text = " ".join(r.text for r in web)
    assert "Monday at 09:00" in text and "116 123" in text and "999" in text
    assert ("Ask for a call back", "/request_callback") in web[-1].buttons
    sms = handoff_replies(result, "sms")
    assert all(fits_sms(r.text) for r in sms) and "CALLBACK" in sms[-1].text


async def test_when_the_handoff_service_cannot_be_reached_the_student_still_gets_help():
    _, messages = await _run(ActionRequestHandoff(NOWHERE), _tracker("webchat", intent="goal_talk"))
    text = messages[0]["text"]
    assert "999" in text and "116 123" in text


async def test_a_message_without_a_reference_is_asked_for_one():
    _, messages = await _run(ActionResumeCase(NOWHERE), _tracker("webchat", intent="provide_reference",
                                                                 text="I have a reference"))
    assert "like ABC-234" in messages[0]["text"]


def test_references_are_found_as_students_type_them_and_ordinary_words_are_not():
    from actions.handoff import find_reference

    for typed in ("my reference is KMX-4QT", "ref kmx 4qt", "KMX4QT please"):
        match = find_reference(typed)
        assert match and (match.group(1) + match.group(2)).upper() == "KMX4QT"
    assert find_reference("my reference is the one they gave me") is None


def test_by_sms_deleting_the_chat_says_the_texts_stay_on_the_phone_and_how_to_delete_them():
    [line] = _texts_stay_on_the_phone("sms")
    assert "stay on your phone" in line.text and "Delete" in line.text and fits_sms(line.text)
    assert _texts_stay_on_the_phone("webchat") == []
