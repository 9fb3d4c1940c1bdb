"""Seeing and trimming what the officer will see, from the assistant's side (SMS numbering, the web list's answer)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.handoff import ActionHandoffGoal, ActionHandoffIntro, ActionRequestHandoff
from actions.handoff_client import HandoffClient
from actions.share import ActionAskShareChoice, ValidateShareForm, read_numbers, sms_consent, sms_list
from safety.gsm import fits_sms, is_gsm7

MESSAGES = [{"seq": 2 * i + 1, "text": text} for i, text in enumerate([
    "hi", "something happened at a party", "I don't know if it counts", "he kept texting me after 🙁",
    "I told my friend and she laughed", "can I talk to a real person"])]


class Service(HandoffClient):
    """Answers like the handoff service, and keeps what it was sent."""

    def __init__(self, messages=MESSAGES) -> None:
        super().__init__(base_url="http://127.0.0.1:9")
        self.messages, self.sent = messages, {}

    async def post(self, path, body):
        self.sent[path] = body
        if path == "/api/share-preview":
            return {"messages": self.messages}
        return {"reference": "KMX-4QT", "available": True, "position": 1}


def _tracker(channel: str, text: str = "…", intent: str = "request_person", entities=(), **slots) -> Tracker:
    latest = {"text": text, "intent": {"name": intent, "confidence": 1.0}, "entities": list(entities)}
    return Tracker("student-1", {"requested_slot": "handoff_share_choice", **slots}, latest,
                   [{"event": "user", "text": text, "parse_data": latest, "input_channel": channel,
                     "timestamp": 1700000000.0}], False, None, {}, "action_listen")


async def _run(action, tracker):
    dispatcher = CollectingDispatcher()
    return await action.run(dispatcher, tracker, {}), dispatcher.messages


def _slots(events):
    return {e["name"]: e["value"] for e in events if e["event"] == "slot"}


async def test_by_sms_the_student_hears_how_many_messages_and_the_three_answers():
    _, sms = await _run(ActionHandoffIntro(Service()), _tracker("sms"))
    last = sms[-1]["text"]
    assert "your 6 messages" in last and "SHARE ALL" in last and "SHARE NONE" in last and "CHOOSE" in last
    assert all(fits_sms(m["text"]) and is_gsm7(m["text"]) for m in sms)


async def test_choose_by_sms_numbers_the_messages_in_one_text_and_the_numbers_leave_them_out():
    events, sms = await _run(ActionAskShareChoice(Service()), _tracker("sms", "CHOOSE", "share_choose"))
    [text] = [m["text"] for m in sms]
    assert fits_sms(text) and is_gsm7(text) and "\n2 something happened" in text
    listed = _slots(events)["share_listed"]
    assert listed == [1, 3, 5, 7, 9, 11]
    events, _ = await _run(ValidateShareForm(), _tracker("sms", "2 4", "nlu_fallback", share_listed=listed))
    assert _slots(events)["handoff_share_choice"] == {"from_seq": 1, "upto_seq": 11, "withheld_seqs": [3, 7]}


async def test_a_reply_that_is_not_a_choice_is_asked_again_and_no_means_share_none():
    listed = [1, 3, 5]
    events, said = await _run(ValidateShareForm(), _tracker("sms", "7 8", "nlu_fallback", share_listed=listed))
    assert _slots(events) == {"handoff_share_choice": None} and said[0]["response"] == "utter_share_not_understood"
    events, _ = await _run(ValidateShareForm(), _tracker("sms", "no", "deny", share_listed=listed))
    assert _slots(events)["handoff_share_choice"]["withheld_seqs"] == [1, 3, 5]


async def test_the_web_list_answer_is_kept_and_sent_with_the_request():
    entities = [{"entity": "share_upto", "value": 11}, {"entity": "share_withheld", "value": "3 7"}]
    events, _ = await _run(ActionHandoffGoal(), _tracker("webchat", "/share_chosen", "share_chosen", entities))
    choice = {"from_seq": 0, "upto_seq": 11, "withheld_seqs": [3, 7]}
    assert _slots(events) == {"handoff_share": True, "handoff_share_choice": choice}
    service = Service()
    await _run(ActionRequestHandoff(service), _tracker("webchat", "/goal_talk", "goal_talk", handoff_share=True,
                                                       handoff_share_choice=choice))
    sent = service.sent["/api/handoff-requests"]
    assert sent["share_transcript"] is True and sent["share_choice"] == choice


async def test_yes_still_shares_everything_and_no_nothing():
    events, _ = await _run(ActionHandoffGoal(), _tracker("webchat", "/affirm", "affirm"))
    assert _slots(events) == {"handoff_share": True, "handoff_share_choice": None}
    events, _ = await _run(ActionHandoffGoal(), _tracker("sms", "SHARE NONE", "deny"))
    assert _slots(events) == {"handoff_share": False, "handoff_share_choice": None}


def test_the_consent_line_fits_for_any_count():
    for count in (None, 0, 1, 6, 1000):
        assert fits_sms(sms_consent(count))


@settings(max_examples=150, deadline=None)
@given(st.lists(st.text(min_size=0, max_size=2000), min_size=1, max_size=40))
def test_any_messages_at_all_make_one_gsm7_text(texts):
    text, listed = sms_list([{"seq": i, "text": t} for i, t in enumerate(texts)])
    assert fits_sms(text) and is_gsm7(text) and 1 <= len(listed) <= 9


def test_numbers_outside_the_list_are_not_a_choice():
    assert read_numbers("12", [1, 2]) is None and read_numbers("0", [1, 2])["withheld_seqs"] == []
