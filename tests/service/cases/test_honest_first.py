"""Asking for a person: honest first (nobody can come, or how long the wait is), and the place in the queue."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import select

from handoff.cases import flows
from handoff.conversations.models import Conversation
from safety.gsm import fits_sms

from ..chat_helpers import hello, is_assistant_message, receive_until
from ..console_helpers import OnDuty, create_officer
from ..db_helpers import messages, run_db
from ..sms_helpers import post_sms, twiml_messages

LONDON = ZoneInfo("Europe/London")
TUESDAY_11AM = datetime(2026, 11, 24, 11, 0, tzinfo=LONDON)
SATURDAY_2AM = datetime(2026, 11, 28, 2, 0, tzinfo=LONDON)
QUESTION = ("would you like them to see", "reply yes to share", "what would you like")


@pytest.fixture
def in_hours():
    with time_machine.travel(TUESDAY_11AM, tick=True) as traveller:
        yield traveller


def _first_answer(client, text="talk to a person") -> dict:
    with client.websocket_connect("/ws/chat") as ws:
        hello(ws)
        ws.send_json({"type": "message", "client_id": "p1", "text": text})
        return receive_until(ws, is_assistant_message)[-1]


def test_out_of_hours_the_first_answer_says_nobody_can_come_when_they_are_in_and_offers_a_call_back(client, settings):
    create_officer(settings, "sam@example.ac.uk")
    with time_machine.travel(SATURDAY_2AM, tick=True):
        first = _first_answer(client)
    text = first["text"].lower()
    assert "can join right now" in text and "monday at 09:00" in text and "116 123" in text and "999" in text
    assert not any(q in text for q in QUESTION)
    assert {b["payload"] for b in first["buttons"]} == {"/request_callback", "/ask_support_services"}


def test_in_hours_with_nobody_on_duty_the_first_answer_says_so(client, settings, in_hours):
    create_officer(settings, "sam@example.ac.uk")  # switched on, but no console is open
    first = _first_answer(client, "can i speak to someone")
    assert "no welfare officer is free" in first["text"] and "116 123" in first["text"]
    assert not any(q in first["text"].lower() for q in QUESTION)


@pytest.mark.parametrize("when", [SATURDAY_2AM, TUESDAY_11AM])
def test_by_sms_person_is_answered_honestly_first_within_one_text(client, settings, when):
    create_officer(settings, "sam@example.ac.uk")
    with time_machine.travel(when, tick=True):
        replies = twiml_messages(post_sms(client, settings, "PERSON"))
    assert len(replies) == 2 and all(fits_sms(r) for r in replies)  # the answer, then the privacy line
    assert "stay on your phone" in replies[1]
    assert "CALLBACK" in replies[0] and "116 123" in replies[0] and "Sorry" in replies[0]


def test_in_hours_the_first_answer_gives_the_wait_then_the_place_in_the_queue(client, settings, in_hours):
    with OnDuty(client, settings), client.websocket_connect("/ws/chat") as ws:
        hello(ws)
        ws.send_json({"type": "message", "client_id": "p1", "text": "talk to a person"})
        events = receive_until(ws, lambda e: is_assistant_message(e) and "in the queue" in e["text"])
    said = [e["text"] for e in events if is_assistant_message(e)]
    assert "on duty now" in said[0] and "about 5 minutes" in said[0]  # before anything; no takes yet
    [queue] = [e for e in events if e["type"] == "queue"]  # the chat page's waiting line
    assert queue["position"] == 1 and queue["wait_words"] == "about 5 minutes"


def test_the_wait_comes_from_recent_takes_and_the_place_moves_up_live(client, settings, in_hours):
    with OnDuty(client, settings) as officer:
        first_cm = client.websocket_connect("/ws/chat")
        first = first_cm.__enter__()
        hello(first)
        first.send_json({"type": "message", "client_id": "a", "text": "talk to a person"})
        receive_until(first, lambda e: e["type"] == "queue")
        in_hours.shift(timedelta(minutes=20))  # the first student waits 20 minutes before an officer takes them
        first_id = run_db(settings, lambda db: db.scalar(select(Conversation.public_id)))
        assert officer.post(f"/conversations/{first_id}/take").status_code == 200
        with client.websocket_connect("/ws/chat") as second:
            hello(second)
            second.send_json({"type": "message", "client_id": "b", "text": "talk to a person"})
            events = receive_until(second, lambda e: is_assistant_message(e) and "in the queue" in e["text"])
            assert "about 20 minutes" in next(e["text"] for e in events if is_assistant_message(e))
            with client.websocket_connect("/ws/chat") as third:
                hello(third)
                third.send_json({"type": "message", "client_id": "c", "text": "talk to a person"})
                joined = receive_until(third, lambda e: is_assistant_message(e) and "in the queue" in e["text"])
                assert [e["position"] for e in joined if e["type"] == "queue"] == [2]
                second_id = run_db(settings, lambda db: db.scalar(
                    select(Conversation.public_id).order_by(Conversation.id).offset(1).limit(1)))
                assert officer.post(f"/conversations/{second_id}/take").status_code == 200
                moved = receive_until(third, lambda e: e["type"] == "queue")[-1]
        first_cm.__exit__(None, None, None)
    assert moved["position"] == 1


def test_by_sms_a_long_wait_gets_one_update_with_the_place_in_the_queue(client, settings, in_hours):
    with OnDuty(client, settings):
        twiml_messages(post_sms(client, settings, "PERSON"))
        ctx = client.app.state.ctx
        assert client.portal.call(flows.sms_queue_updates, ctx) == 0  # a short wait: no text
        in_hours.shift(timedelta(seconds=settings.handoff_wait_limit * 0.6))
        assert client.portal.call(flows.sms_queue_updates, ctx) == 1
        assert client.portal.call(flows.sms_queue_updates, ctx) == 0  # at most one
    update = [m.text for m in messages(settings) if "number 1 in the queue" in m.text and "Still" in m.text]
    assert len(update) == 1 and fits_sms(update[0])
