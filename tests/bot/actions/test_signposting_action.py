"""The signposting action, with the clock frozen: what a student sees at 2 a.m. on a Sunday."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.signposting import ActionSignpost
from safety.gsm import fits_sms

LONDON = ZoneInfo("Europe/London")
SUNDAY_2AM = datetime(2026, 11, 22, 2, 0, tzinfo=LONDON)
TUESDAY_2PM = datetime(2026, 11, 24, 14, 0, tzinfo=LONDON)


def _tracker(channel: str, needs: list[str] = ()) -> Tracker:
    entities = [{"entity": "support_need", "value": need} for need in needs]
    latest = {"text": "…", "intent": {"name": "ask_support_services", "confidence": 1.0}, "entities": entities}
    return Tracker(
        "student", {}, latest,
        [{"event": "user", "text": "…", "parse_data": latest, "input_channel": channel}],
        False, None, {}, "action_listen",
    )


async def _run(channel, needs=(), when=SUNDAY_2AM):
    dispatcher = CollectingDispatcher()
    await ActionSignpost(clock=lambda: when).run(dispatcher, _tracker(channel, list(needs)), {})
    return dispatcher.messages


async def test_at_night_only_services_open_now_are_listed_as_open_and_24_7_ones_are_there():
    messages = await _run("webchat", ["sexual_violence"])
    text = messages[0]["text"]
    assert "Open now" in text and "24/7" in text
    assert "999" in text
    assert not any(m.get("buttons") for m in messages)  # a need was given: no need to ask again


async def test_without_a_named_need_web_users_are_offered_quick_replies_to_narrow_it_down():
    messages = await _run("webchat")
    payloads = [b["payload"] for b in messages[-1]["buttons"]]
    assert '/ask_support_services{"support_need": "stalking"}' in payloads


async def test_sms_users_get_phone_or_text_options_that_fit_the_budget():
    messages = await _run("sms", ["stalking"], when=TUESDAY_2PM)
    assert messages and all(fits_sms(m["text"]) for m in messages)
    assert not any("http" in m["text"] for m in messages)
