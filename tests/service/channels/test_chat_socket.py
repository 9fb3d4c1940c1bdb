"""The web chat socket: messages are acknowledged, stored once, answered, and survive reconnects."""

import asyncio

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import async_sessionmaker

from handoff.channels.intake import MAX_STORED_CHARS
from handoff.conversations.enums import Direction
from handoff.conversations.models import Message
from handoff.core.db import create_engine

from ..chat_helpers import hello, is_assistant_message, receive_until
from ..db_helpers import messages


def _count_messages(settings) -> int:
    async def run():
        engine = create_engine(settings.async_database_url)
        async with engine.connect() as connection:
            count = await connection.scalar(select(func.count(Message.id)))
        await engine.dispose()
        return count

    return asyncio.run(run())


def test_a_new_student_gets_a_conversation_token(client):
    with client.websocket_connect("/ws/chat") as ws:
        welcome = hello(ws)
    assert welcome["resumed"] is False
    assert len(welcome["token"]) >= 32
    assert welcome["owner"] == "bot"


def test_when_the_assistant_is_down_the_student_still_gets_emergency_numbers(client):
    with client.websocket_connect("/ws/chat") as ws:
        hello(ws)
        ws.send_json({"type": "message", "client_id": "m1", "text": "is anyone there"})
        events = receive_until(ws, is_assistant_message)
    ack = next(e for e in events if e["type"] == "ack")
    assert ack == {"type": "ack", "client_id": "m1", "seq": 1, "duplicate": False}
    reply = events[-1]["text"]
    assert "999" in reply and "116 123" in reply and "person" in reply


def test_a_resent_message_is_stored_once(client, settings):
    with client.websocket_connect("/ws/chat") as ws:
        hello(ws)
        ws.send_json({"type": "message", "client_id": "same", "text": "hello"})
        receive_until(ws, is_assistant_message)
        ws.send_json({"type": "message", "client_id": "same", "text": "hello"})
        ack = receive_until(ws, lambda e: e["type"] == "ack")[-1]
    assert ack["duplicate"] is True and ack["seq"] == 1
    assert _count_messages(settings) == 2  # the student's message and one reply


def test_reconnecting_with_the_token_replays_only_what_was_missed(client):
    with client.websocket_connect("/ws/chat") as ws:
        token = hello(ws)["token"]
        ws.send_json({"type": "message", "client_id": "a", "text": "first"})
        receive_until(ws, is_assistant_message)
        ws.send_json({"type": "message", "client_id": "b", "text": "second"})
        receive_until(ws, lambda e: e["type"] == "ack")
    with client.websocket_connect("/ws/chat") as ws:
        welcome = hello(ws, token=token, after=2)
        events = receive_until(ws, lambda e: e.get("seq") == 4)
    assert welcome["resumed"] is True
    seqs = [e["seq"] for e in events if e["type"] == "message"]
    assert seqs == [3, 4]
    assert events[-1]["from"] == "assistant"


def test_an_unknown_token_starts_a_fresh_conversation(client):
    with client.websocket_connect("/ws/chat") as ws:
        welcome = hello(ws, token="not-a-real-token")
    assert welcome["resumed"] is False and welcome["token"] != "not-a-real-token"


@pytest.mark.parametrize("frame", [
    '{"type": "message", "client_id": "n1", "text": "i want to kill\\u0000 myself"}',  # escaped in the JSON
    '{"type": "message", "client_id": "n1", "text": "i want to kill\x00 myself"}',  # raw in the frame
])
def test_a_nul_in_a_students_words_is_dropped_and_the_message_kept_and_answered(client, settings, frame):
    with client.websocket_connect("/ws/chat") as ws:
        hello(ws)
        ws.send_text(frame)
        said = " ".join(e["text"] for e in receive_until(ws, is_assistant_message) if is_assistant_message(e))
    assert "116 123" in said  # the crisis answer, not an error
    assert [m.text for m in messages(settings) if m.direction == Direction.user] == ["i want to kill myself"]


def test_thousands_of_nested_brackets_get_a_clear_error_and_the_connection_stays_up(client, settings):
    with client.websocket_connect("/ws/chat") as ws:
        hello(ws)
        ws.send_text('{"type": "message", "x": ' + "[" * 5000 + "]" * 5000 + "}")
        assert ws.receive_json()["code"] == "bad_json"
        ws.send_text('{"type": "message", "client_id": "a\\u0000", "text": "hello"}')  # NUL outside the words
        assert ws.receive_json()["code"] == "bad_frame"
        ws.send_json({"type": "ping"})
        assert ws.receive_json()["type"] == "pong"


def test_bad_frames_get_clear_errors_and_the_connection_stays_up(client, settings):
    with client.websocket_connect("/ws/chat") as ws:
        ws.send_json({"type": "message", "client_id": "x", "text": "too early"})
        assert ws.receive_json()["code"] == "hello_first"
        hello(ws)
        ws.send_text("{not json")
        assert ws.receive_json()["code"] == "bad_json"
        ws.send_bytes(b"\x00\x01")
        assert ws.receive_json()["code"] == "binary_not_supported"
        ws.send_json({"type": "dance"})
        assert ws.receive_json()["code"] == "unknown_type"
        ws.send_json(["a", "list"])
        assert ws.receive_json()["code"] == "bad_frame"
        ws.send_json({"type": "message", "client_id": "e", "text": "   "})
        empty = ws.receive_json()
        assert empty["code"] == "empty" and empty["client_id"] == "e"
        ws.send_json({"type": "message", "client_id": "l", "text": "x" * (MAX_STORED_CHARS + 1)})
        long = ws.receive_json()
        assert long["code"] == "too_long" and f"{MAX_STORED_CHARS}" in long["message"]
        assert "116 123" in long["message"] and "999" in long["message"]  # never refused without help
        ws.send_json({"type": "message", "text": "no id"})
        assert ws.receive_json()["code"] == "bad_client_id"
        ws.send_json({"type": "message", "client_id": "ok", "text": "still here?"})
        events = receive_until(ws, is_assistant_message)
    assert any(e["type"] == "ack" and e["client_id"] == "ok" for e in events)
    assert _count_messages(settings) == 2


def test_a_message_longer_than_the_assistant_reads_is_kept_whole_with_help_and_a_person_offered(client, settings):
    story = "I need to write down everything that happened this term because I keep going over it at night. " * 30
    assert settings.max_message_chars < len(story) <= MAX_STORED_CHARS
    with client.websocket_connect("/ws/chat") as ws:
        welcome = hello(ws)
        assert welcome["max_chars"] == MAX_STORED_CHARS  # the chat box takes it: nothing pasted is cut off
        ws.send_json({"type": "message", "client_id": "long", "text": story})
        events = receive_until(ws, is_assistant_message)
    assert any(e["type"] == "ack" and e["client_id"] == "long" for e in events)
    reply = events[-1]
    assert "saved" in reply["text"] and "999" in reply["text"] and "116 123" in reply["text"]
    assert [b["payload"] for b in reply["buttons"]] == ["/request_person"]
    assert _user_texts(settings) == [story.strip()]


def _user_texts(settings) -> list[str]:
    """What the students wrote, decrypted as the console reads it."""
    async def run():
        engine = create_engine(settings.async_database_url)
        async with async_sessionmaker(engine)() as db:
            rows = await db.scalars(select(Message).where(Message.direction == Direction.user).order_by(Message.seq))
            found = [m.text for m in rows]
        await engine.dispose()
        return found

    return asyncio.run(run())


def test_ping_gets_pong(client):
    with client.websocket_connect("/ws/chat") as ws:
        hello(ws)
        ws.send_json({"type": "ping"})
        assert ws.receive_json() == {"type": "pong"}


def test_an_unknown_token_with_an_old_position_still_gets_every_new_message(client):
    with client.websocket_connect("/ws/chat") as ws:
        hello(ws, token="gone-after-deletion", after=5)
        ws.send_json({"type": "message", "client_id": "n1", "text": "hello again"})
        events = receive_until(ws, is_assistant_message)
    assert events[-1]["seq"] == 2


def test_a_quick_reply_is_stored_as_the_words_the_student_saw(client, settings):
    from ..db_helpers import messages

    with client.websocket_connect("/ws/chat") as ws:
        hello(ws)
        ws.send_json({"type": "message", "client_id": "q1", "text": "Just talk", "payload": "/goal_talk"})
        receive_until(ws, is_assistant_message)
        ws.send_json({"type": "message", "client_id": "q2", "text": "x", "payload": "not a payload"})
        assert ws.receive_json()["code"] == "bad_payload"
    first = messages(settings)[0]
    assert first.text == "Just talk" and first.extra["payload"] == "/goal_talk"


def test_a_resend_is_acknowledged_even_when_the_student_is_over_the_rate_limit(database_url):
    from starlette.testclient import TestClient

    from handoff.core.config import Settings
    from handoff.main import create_app

    settings = Settings(database_url=database_url, rasa_url="http://127.0.0.1:9", rate_limit_messages=2,
                        _env_file=None)
    with TestClient(create_app(settings)) as client, client.websocket_connect("/ws/chat") as ws:
        hello(ws)
        for n in ("a", "b"):
            ws.send_json({"type": "message", "client_id": n, "text": n})
            receive_until(ws, is_assistant_message)
        ws.send_json({"type": "message", "client_id": "c", "text": "c"})
        assert ws.receive_json()["code"] == "rate_limited"
        ws.send_json({"type": "message", "client_id": "a", "text": "a"})
        ack = receive_until(ws, lambda e: e["type"] == "ack")[-1]
    assert ack["duplicate"] is True and ack["seq"] == 1


def test_a_message_stored_before_a_crash_is_answered_when_resent(client, settings):
    from handoff.conversations import service
    from handoff.conversations.enums import Direction

    from ..db_helpers import conversation_row, run_db

    with client.websocket_connect("/ws/chat") as ws:
        token = hello(ws)["token"]
    conversation = conversation_row(settings)
    run_db(settings, lambda db: service.append_message(  # stored, then the service stopped: no reply
        db_session=db, conversation_id=conversation.id, direction=Direction.user, text="are you there",
        client_message_id="lost"))
    with client.websocket_connect("/ws/chat") as ws:
        hello(ws, token=token, after=1)
        ws.send_json({"type": "message", "client_id": "lost", "text": "are you there"})
        events = receive_until(ws, is_assistant_message)
    assert any(e["type"] == "ack" and e["duplicate"] for e in events)
