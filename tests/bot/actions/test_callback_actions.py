"""The call-back questions, from the assistant's side: answers in the student's own words, questions, stopping."""

from __future__ import annotations

from pathlib import Path

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.callback import ANSWERED_MID_FORM, LEAVES_FORM, ValidateCallbackForm
from actions.callback_answer import understand
from actions.handoff import ActionSubmitCallback
from actions.handoff_client import HandoffClient

NOWHERE = HandoffClient(base_url="http://127.0.0.1:9", token="", timeout=1.0)  # nothing listens there
RULES = Path(__file__).resolve().parents[3] / "data" / "rasa" / "rules"


def _tracker(text: str, intent: str = "request_callback", requested: str | None = "callback_channel",
             channel: str = "webchat", confidence: float = 0.9, **slots) -> Tracker:
    latest = {"text": text, "intent": {"name": intent, "confidence": confidence}, "entities": []}
    return Tracker("student-1", {"requested_slot": requested, **slots}, latest,
                   [{"event": "user", "text": text, "parse_data": latest, "input_channel": channel,
                     "timestamp": 1700000000.0}],
                   False, None, {"name": "callback_form"}, "action_listen")


async def _validate(text: str, **kwargs):
    dispatcher = CollectingDispatcher()
    events = await ValidateCallbackForm().run(dispatcher, _tracker(text, **kwargs), {})
    return events, [m.get("response") or m.get("text") for m in dispatcher.messages]


def _slots(events) -> dict:
    return {e["name"]: e["value"] for e in events if e["event"] == "slot"}


async def test_one_sentence_gives_the_way_the_time_and_the_number_so_only_the_voicemail_question_is_left():
    events, said = await _validate("call me evenings after 6 on 07700 900123")
    assert _slots(events) == {"callback_channel": "phone", "callback_time": "evenings after 6",
                              "callback_contact": "+447700900123"}
    assert said == []


async def test_a_time_or_a_number_given_alone_is_kept_instead_of_the_same_question_again():
    events, said = await _validate("evenings after 6")
    assert _slots(events) == {"callback_time": "evenings after 6"} and said == []
    events, said = await _validate("07700 900123")
    assert _slots(events) == {"callback_contact": "+447700900123"} and said == []


async def test_email_is_fine_chooses_email_and_an_address_is_understood_with_it():
    events, _ = await _validate("email is fine")
    assert _slots(events) == {"callback_channel": "email"}
    events, _ = await _validate("you can reach me at Sam.Student@Example.ac.uk", requested="callback_time")
    assert _slots(events) == {"callback_channel": "email", "callback_contact": "Sam.Student@example.ac.uk"}


async def test_a_way_they_rule_out_is_not_taken_as_the_one_they_want():
    events, _ = await _validate("please don't ring, text me after 4pm")
    assert _slots(events) == {"callback_channel": "sms", "callback_time": "after 4pm"}


async def test_a_question_mid_form_is_passed_on_to_be_answered_not_taken_as_the_answer_call():
    events, said = await _validate("is there anyone I can ring at night", intent="ask_support_services")
    assert events == [] and said == []  # no slot filled: Rasa hands the turn to the rule that answers it


async def test_a_question_this_form_cannot_answer_gets_an_honest_reply_and_the_question_again():
    events, said = await _validate("what counts as consent?", intent="ask_consent")
    assert _slots(events) == {"callback_channel": None} and said == ["utter_callback_question_later"]


async def test_an_answer_phrased_as_a_question_is_still_an_answer():
    events, _ = await _validate("can you text me after 6?")
    assert _slots(events) == {"callback_channel": "sms", "callback_time": "after 6"}


async def test_the_voicemail_question_takes_a_no_as_an_answer_not_as_stopping():
    events, _ = await _validate("no", intent="deny", requested="callback_leave_message", callback_channel="phone")
    assert _slots(events) == {"callback_leave_message": False}
    events, _ = await _validate("yes that's fine", intent="affirm", requested="callback_leave_message")
    assert _slots(events) == {"callback_leave_message": True}
    events, _ = await _validate("after 6, and please don't leave a voicemail", requested="callback_time")
    assert _slots(events) == {"callback_time": "after 6", "callback_leave_message": False}


async def test_the_student_can_stop_at_any_question():
    for requested, text, intent in (("callback_channel", "/deny", "deny"), ("callback_time", "cancel", "deny"),
                                    ("callback_contact", "forget it", "out_of_scope"),
                                    ("callback_leave_message", "stop", "deny")):
        events, _ = await _validate(text, intent=intent, requested=requested, callback_channel="phone")
        assert {"event": "active_loop", "name": None, "timestamp": None} in events, requested
        assert _slots(events)["requested_slot"] is None and _slots(events)["callback_channel"] is None


async def test_a_crisis_mid_form_is_passed_on_for_the_safety_response():
    events, _ = await _validate("i want to kms", intent="risk_detected", requested="callback_time")
    assert events == []


async def test_a_contact_that_does_not_suit_the_way_is_asked_for_again():
    events, said = await _validate("sam@example.ac.uk", requested="callback_contact", callback_channel="sms")
    assert _slots(events) == {"callback_channel": "email", "callback_contact": "sam@example.ac.uk"}
    events, said = await _validate("0770", requested="callback_contact", callback_channel="sms")
    assert _slots(events) == {"callback_contact": None} and said == ["utter_callback_contact_not_understood"]


async def test_the_first_message_can_already_carry_the_details():
    events, said = await _validate("can someone text me tomorrow on 07700 900123", requested=None)
    assert _slots(events) == {"callback_channel": "sms", "callback_time": "tomorrow",
                              "callback_contact": "+447700900123"} and said == []
    events, _ = await _validate("can someone call me back", requested=None)
    assert _slots(events) == {}  # "call me back" asks for contact; it does not choose a phone call


def test_every_question_let_through_has_a_rule_that_answers_it_and_returns_to_the_form():
    rules = yaml.safe_load((RULES / "callback.yml").read_text())["rules"]
    answered = {rule["steps"][0]["intent"] for rule in rules
                if rule["condition"] == [{"active_loop": "callback_form"}]
                and rule["steps"][-2:] == [{"action": "callback_form"}, {"active_loop": "callback_form"}]}
    assert answered == ANSWERED_MID_FORM


async def test_asking_for_a_person_mid_form_is_passed_on_to_the_handoff():
    events, said = await _validate("can I talk to a real person", intent="request_person", requested="callback_time")
    assert events == [] and said == []  # no "I'll note that" and no slot taken from it


def test_asking_for_a_person_mid_form_has_a_rule_that_ends_the_questions_and_goes_to_the_handoff():
    rules = yaml.safe_load((RULES / "callback.yml").read_text())["rules"]
    leaving = {rule["steps"][0]["intent"] for rule in rules
               if rule["condition"] == [{"active_loop": "callback_form"}]
               and rule["steps"][1:3] == [{"action": "action_deactivate_loop"}, {"active_loop": None}]
               and rule["steps"][-1] == {"action": "action_handoff_intro"}}
    assert leaving == LEAVES_FORM


async def test_stopping_half_way_sends_nothing_and_says_so():
    dispatcher = CollectingDispatcher()
    tracker = _tracker("cancel", intent="deny", requested=None, callback_channel="sms", callback_time="after 6")
    events = await ActionSubmitCallback(NOWHERE).run(dispatcher, tracker, {})
    assert [m["response"] for m in dispatcher.messages] == ["utter_callback_cancelled"]
    assert all(e["value"] is None for e in events)


async def test_a_complete_request_carries_the_voicemail_answer_to_the_team():
    sent = {}

    class Recording(HandoffClient):
        async def post(self, path, body):
            sent.update(body)
            return {"reference": "KMX-4QT"}

    dispatcher = CollectingDispatcher()
    tracker = _tracker("no", intent="deny", requested=None, callback_channel="phone", callback_time="after 6",
                       callback_contact="+447700900123", callback_leave_message=False)
    await ActionSubmitCallback(Recording()).run(dispatcher, tracker, {})
    assert sent["leave_message"] is False and sent["contact"] == "+447700900123"
    assert "KMX-4QT" in dispatcher.messages[0]["text"]


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=2000))
def test_any_text_at_all_is_read_without_error(text):
    answer = understand(text)
    assert answer.time is None or len(answer.time) <= 200
    assert answer.channel in (None, "phone", "sms", "email")
