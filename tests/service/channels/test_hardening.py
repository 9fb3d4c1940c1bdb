"""Inputs that once silenced the safety check or stalled a worker: each is now stored and answered."""

from __future__ import annotations

import resource
import time

import pytest
from starlette.testclient import TestClient

from handoff.core.config import Settings
from handoff.main import create_app
from safety.responses import CHECK_FAILED

from ..chat_helpers import hello, is_assistant_message, receive_until
from ..db_helpers import conversation_row, messages
from ..sms_helpers import post_sms, twiml_messages

SPLIT = "i ca n't go on, i want to kill myself"


def _safety_reply(ws, client_id: str, text: str) -> tuple[dict, str]:
    ws.send_json({"type": "message", "client_id": client_id, "text": text})
    events = receive_until(ws, lambda e: is_assistant_message(e) and "not a person" in e["text"])
    ack = next(e for e in events if e["type"] == "ack")
    return ack, " ".join(e["text"] for e in events if is_assistant_message(e))


@pytest.mark.parametrize("text", [SPLIT, "do n't want to be here any more. can-n't. i want to die", "n't"])
def test_split_contractions_are_stored_and_answered_on_the_web(client, settings, text):
    with client.websocket_connect("/ws/chat") as ws:
        hello(ws)
        ws.send_json({"type": "message", "client_id": "c1", "text": text})
        events = receive_until(ws, is_assistant_message)
    assert any(e["type"] == "ack" and e["seq"] == 1 for e in events)
    assert messages(settings)[0].text == text


def test_a_crisis_message_with_a_split_contraction_gets_the_safety_response(client, settings):
    with client.websocket_connect("/ws/chat") as ws:
        hello(ws)
        _, replies = _safety_reply(ws, "c1", SPLIT)
    assert "116 123" in replies and "85258" in replies  # the suicide answer itself, not only the check-in's line
    assert conversation_row(settings).risk_flags == ["suicide_self_harm"]


@pytest.mark.parametrize("text", [SPLIT, "😢😢 i ca n't do this anymore 💊💊 i want to die", "i\u200bwant\u00a0to die",
                                  "i want to d\u200bie 😭 tonight"])
def test_a_crisis_text_with_odd_spacing_or_emoji_gets_the_safety_response_by_sms(client, settings, text):
    response = post_sms(client, settings, text)
    assert response.status_code == 200
    assert "85258" in " ".join(twiml_messages(response))  # the suicide answer (SHOUT), not only a check-in
    assert messages(settings)[0].text == text


def test_when_the_check_breaks_the_message_is_stored_flagged_and_answered(client, settings, monkeypatch):
    normaliser = client.app.state.ctx.risk.rules._set.normaliser
    monkeypatch.setattr(normaliser, "words", lambda text: 1 / 0)
    with client.websocket_connect("/ws/chat") as ws:
        hello(ws)
        ack, replies = _safety_reply(ws, "c1", "something the check cannot read")
    assert ack["seq"] == 1 and "999" in replies and "116 123" in replies
    stored = messages(settings)[0]
    assert stored.text == "something the check cannot read"
    assert stored.extra == {"risk": [CHECK_FAILED], "safety": {"layer": "failsafe", "score": 1.0}}
    conversation = conversation_row(settings)
    assert conversation.risk_flags == [CHECK_FAILED] and conversation.risk_level == 3
    sms = twiml_messages(post_sms(client, settings, "a text the check cannot read"))
    assert "999" in sms[0]


def test_a_long_message_is_checked_off_the_event_loop_and_still_answered(client, settings):
    text = ("i keep thinking about what happened and i do not know who to tell. " * 25) + "i want to kill myself"
    with client.websocket_connect("/ws/chat") as ws:
        hello(ws)
        _, replies = _safety_reply(ws, "long", text[:2000])
    assert "116 123" in replies


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@pytest.mark.parametrize("after", [2 * 10**7, 10**18, 2**63 - 1])
def test_a_huge_after_costs_nothing_and_new_messages_still_arrive(client, after):
    with client.websocket_connect("/ws/chat") as ws:
        token = hello(ws)["token"]
        ws.send_json({"type": "message", "client_id": "a", "text": "first"})
        receive_until(ws, is_assistant_message)
    before = _peak_rss_mb()
    started = time.perf_counter()
    with client.websocket_connect("/ws/chat") as ws:
        welcome = hello(ws, token=token, after=after)
        elapsed = time.perf_counter() - started
        ws.send_json({"type": "message", "client_id": "b", "text": "second"})
        events = receive_until(ws, is_assistant_message)
    assert welcome["resumed"] is True
    assert elapsed < 1.0, "a resume must not build anything the size of `after`"
    assert _peak_rss_mb() - before < 50
    # The client claimed to have seen more than exists: what comes next is still delivered.
    assert [e["seq"] for e in events if e["type"] == "message"] == [3, 4]


@pytest.mark.parametrize("after", [-5, "12", 1.5, True, None, [1]])
def test_an_after_that_is_not_a_count_replays_everything(client, after):
    with client.websocket_connect("/ws/chat") as ws:
        token = hello(ws)["token"]
        ws.send_json({"type": "message", "client_id": "a", "text": "first"})
        receive_until(ws, is_assistant_message)
    with client.websocket_connect("/ws/chat") as ws:
        ws.send_json({"type": "hello", "token": token, "after": after})
        assert ws.receive_json()["resumed"] is True
        events = receive_until(ws, lambda e: e.get("seq") == 2)
    assert [e["seq"] for e in events if e["type"] == "message"] == [1, 2]


def test_sms_over_the_rate_limit_is_stored_unchecked_and_still_gets_emergency_numbers(database_url):
    settings = Settings(database_url=database_url, rasa_url="http://127.0.0.1:9", rate_limit_messages=2,
                        _env_file=None)
    with TestClient(create_app(settings)) as client:
        calls = []
        risk = client.app.state.ctx.risk
        original = risk.assess
        risk.assess = lambda text: calls.append(text) or original(text)
        try:
            replies = [twiml_messages(post_sms(client, settings, f"message {n} i want to die")) for n in range(4)]
        finally:
            del risk.assess
    assert len(calls) == 2, "texts over the limit must not reach the safety check"
    assert "faster than I can read" in replies[-1][0] and "999" in replies[-1][0] and "116 123" in replies[-1][0]
    stored = [m for m in messages(settings) if m.direction.value == "user"]
    assert len(stored) == 4 and stored[-1].extra == {"unchecked": True}
