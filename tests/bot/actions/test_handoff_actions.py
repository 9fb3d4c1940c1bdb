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
    _, web = await _run(ActionHandoffIntro(NOWHERE), _tracker("webchat"))
    text = " ".join(m["text"] for m in web)
    assert "real person" in text and "don't have to give your name" in text
    assert [b["payload"] for b in web[-1]["buttons"]] == ["/affirm", "/share_choose", "/deny"]
    _, sms = await _run(ActionHandoffIntro(NOWHERE), _tracker("sms"))
    assert all(fits_sms(m["text"]) for m in sms) and "SHARE ALL" in sms[-1]["text"]


async def test_the_intro_says_the_limits_of_confidentiality_before_asking_to_share_the_chat():
    for channel in ("webchat", "sms"):
        _, said = await _run(ActionHandoffIntro(NOWHERE), _tracker(channel))
        texts = [m["text"] for m in said]
        limits = next(i for i, text in enumerate(texts) if "can't promise to keep everything private" in text)
        asked = next(i for i, text in enumerate(texts) if "SHARE ALL" in text or "see what you've written" in text)
        assert limits < asked and "under 18" in texts[limits] and "serious risk" in texts[limits], channel


async def test_the_consent_answer_is_kept_and_the_goal_question_follows():
    events, messages = await _run(ActionHandoffGoal(), _tracker("webchat", intent="affirm"))
    assert {"event": "slot", "name": "handoff_share", "value": True, "timestamp": None} in events
    assert {b["payload"] for b in messages[-1]["buttons"]} == {"/goal_talk", "/goal_disclose", "/goal_report"}
    events, sms = await _run(ActionHandoffGoal(), _tracker("sms", intent="deny"))
    assert events[0]["value"] is False and "TALK" in sms[0]["text"] and fits_sms(sms[0]["text"])


def test_in_hours_the_student_gets_the_reference_and_their_place_in_the_queue():
    [reply] = handoff_replies({"reference": "KMX-4QT-HCE", "available": True, "position": 3}, "webchat")
    assert "KMX-4QT-HCE" in reply.text and "2 people ahead of you" in reply.text and "keep writing" in reply.text
    [with_wait] = handoff_replies({"reference": "KMX-4QT-HCE", "available": True, "position": 1,
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
    from bot.references import find_reference, is_whole, typed_reference

    for typed in ("my reference is KMX-4QT-HCE", "ref kmx 4qt hce", "KMX4QTHCE please", "kmx - 4qt - hce",
                  "it's Kmx4qt-Hce."):
        match = find_reference(typed)
        assert match and typed_reference(match) == "KMX-4QT-HCE", typed
    for typed in ("my reference is KMX-4QT", "ref kmx 4qt", "KMX4QT please"):
        match = find_reference(typed)
        assert match and typed_reference(match) == "KMX-4QT" and not is_whole(match)
    assert find_reference("my reference is the one they gave me") is None
    assert find_reference("I have a reference") is None


async def test_only_the_first_two_parts_of_a_reference_get_a_kind_ask_for_the_rest_not_a_lookup():
    for channel in ("webchat", "sms"):
        _, messages = await _run(ActionResumeCase(NOWHERE), _tracker(channel, intent="provide_reference",
                                                                     text="my reference is kmx 4qt"))
        text = messages[0]["text"]
        assert "KMX-4QT is only two" in text and "say talk to a person" in text and "can't reach" not in text
        assert fits_sms(text)


def test_the_reference_the_student_is_given_fits_an_sms_and_says_to_keep_it_private():
    for available in (True, False):
        result = {"reference": "KMX-4QT-HCE", "available": available, "position": 12, "in_hours": False,
                  "next_open_words": "Wednesday at 09:00"}
        replies = handoff_replies(result, "sms")
        assert "KMX-4QT-HCE" in replies[0].text and "private" in replies[0].text
        assert all(fits_sms(r.text) for r in replies)


_ALPHABET = "ACDEFGHJKMNPQRTUVWXY234679"


def _part_strategy():
    from hypothesis import strategies as st

    from bot.references import not_a_part

    return st.text(_ALPHABET, min_size=3, max_size=3).filter(lambda part: part not in not_a_part())


def test_any_reference_is_found_however_it_is_typed_and_whatever_is_around_it():
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from bot.references import find_reference, is_whole, typed_reference

    @settings(max_examples=300, deadline=None)
    @given(parts=st.lists(_part_strategy(), min_size=3, max_size=3), separators=st.lists(
        st.sampled_from(["", "-", " ", " - ", "  "]), min_size=2, max_size=2),
        lower=st.booleans(), before=st.sampled_from(["", "my reference is ", "ref ", "ref: ", "it's the ", "hi, "]),
        after=st.sampled_from(["", " and thanks", " thx", ".", " please", " the new one", "!"]))
    def check(parts, separators, lower, before, after):
        typed = parts[0] + separators[0] + parts[1] + separators[1] + parts[2]
        match = find_reference(before + (typed.lower() if lower else typed) + after)
        assert match and is_whole(match) and typed_reference(match) == "-".join(parts)

    check()


def test_by_sms_deleting_the_chat_says_the_texts_stay_on_the_phone_and_how_to_delete_them():
    [line] = _texts_stay_on_the_phone("sms")
    assert "stay on your phone" in line.text and "Delete" in line.text and fits_sms(line.text)
    assert _texts_stay_on_the_phone("webchat") == []
