"""Limits per client: one address cannot open conversations or sockets without end, a socket must say hello
in time, and one number cannot start SMS conversations without end; a refusal is kind and keeps the help."""

from __future__ import annotations

import os
import time

import pytest
from sqlalchemy import update
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from handoff.conversations.models import Conversation, Message
from handoff.conversations.phones import SmsContact
from handoff.core.config import Settings
from handoff.main import create_app

from ..chat_helpers import hello
from ..db_helpers import run_db
from ..sms_helpers import post_sms, twiml_messages

CLOSED_PORT_URL = "http://127.0.0.1:9"


def _settings(database_url: str, redis: bool = False, **limits) -> Settings:
    extra = {"redis_url": os.environ["TEST_REDIS_URL"], "redis_prefix": f"t{time.monotonic_ns()}:"} if redis else {}
    return Settings(database_url=database_url, rasa_url=CLOSED_PORT_URL, rasa_timeout=2.0, _env_file=None,
                    **extra, **limits)


def _backends() -> list[bool]:
    return [False, True] if os.environ.get("TEST_REDIS_URL") else [False]


def _count(settings, model) -> int:
    from sqlalchemy import func, select

    return run_db(settings, lambda db: db.scalar(select(func.count()).select_from(model)))


@pytest.mark.parametrize("redis", _backends(), ids=lambda r: "redis" if r else "memory")
def test_one_address_cannot_start_conversations_without_end(database_url, redis):
    settings = _settings(database_url, redis, new_conversations_per_address="3/minute")
    with TestClient(create_app(settings)) as client:
        tokens = []
        for _ in range(3):
            with client.websocket_connect("/ws/chat") as ws:
                tokens.append(hello(ws)["token"])
        with client.websocket_connect("/ws/chat") as ws:
            ws.send_json({"type": "hello"})
            refused = ws.receive_json()
            with pytest.raises(WebSocketDisconnect) as closed:
                ws.receive_json()
        assert closed.value.code == 4429
        assert refused["code"] == "too_many_conversations" and refused["retry_after"] >= 1
        assert "999" in refused["message"] and "116 123" in refused["message"]
        # Coming back to a conversation already started is never refused.
        with client.websocket_connect("/ws/chat") as ws:
            assert hello(ws, tokens[0])["resumed"] is True
    assert _count(settings, Conversation) == 3


def test_a_socket_that_never_says_hello_is_closed_with_a_clear_code(database_url):
    settings = _settings(database_url, hello_timeout=0.5)
    with TestClient(create_app(settings)) as client, client.websocket_connect("/ws/chat") as ws:
        started = time.monotonic()
        event = ws.receive_json()
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
    assert event["code"] == "hello_timeout" and closed.value.code == 4408
    assert time.monotonic() - started < 5


def test_one_address_cannot_hold_sockets_open_without_end(database_url):
    settings = _settings(database_url, max_sockets_per_address=2)
    with TestClient(create_app(settings)) as client:
        first, second = client.websocket_connect("/ws/chat"), client.websocket_connect("/ws/chat")
        hello(first.__enter__())
        hello(second.__enter__())
        with client.websocket_connect("/ws/chat") as third:
            refused = third.receive_json()
            with pytest.raises(WebSocketDisconnect) as closed:
                third.receive_json()
        assert refused["code"] == "too_many_connections" and "999" in refused["message"]
        assert closed.value.code == 1013
        second.__exit__(None, None, None)
        time.sleep(0.2)  # the server notices the close
        with client.websocket_connect("/ws/chat") as again:
            assert hello(again)["type"] == "welcome"
        first.__exit__(None, None, None)


def test_a_worker_holds_at_most_its_cap_of_sockets(database_url):
    settings = _settings(database_url, max_sockets_per_worker=1)
    with TestClient(create_app(settings)) as client, client.websocket_connect("/ws/chat") as first:
        hello(first)
        with client.websocket_connect("/ws/chat") as second:
            assert second.receive_json()["code"] == "server_busy"


def _start_afresh(settings) -> None:
    """The number's conversation is gone (the student deleted it): its next text starts a new one. (A closed
    conversation is not enough: a text after a close continues it, so the case stays linked.)"""

    async def go(db):
        await db.execute(update(SmsContact).values(conversation_id=None))
        await db.commit()

    run_db(settings, go)


def test_one_number_cannot_start_sms_conversations_without_end_but_a_crisis_text_still_gets_help(database_url):
    settings = _settings(database_url, new_conversations_per_number="2/hour")
    with TestClient(create_app(settings)) as client:
        for n in range(2):
            assert "999" in twiml_messages(post_sms(client, settings, f"hello {n}"))[0]
            _start_afresh(settings)
        [refused] = twiml_messages(post_sms(client, settings, "hello again"))
        assert "can't start a new conversation" in refused and "999" in refused and "116 123" in refused
        assert _count(settings, Conversation) == 2
        # Over the limit, a message that shows risk still gets the safety response, and is kept.
        crisis = twiml_messages(post_sms(client, settings, "i want to kms"))
        assert "116 123" in crisis[0] and "85258" in crisis[0]
        assert _count(settings, Conversation) == 3
        # Another number is not affected.
        assert "can't start" not in twiml_messages(post_sms(client, settings, "hi", phone="+447700900999"))[0]
    assert _count(settings, Message) >= 4


def test_limits_are_refused_at_start_up_when_they_make_no_sense():
    with pytest.raises(ValueError, match="NEW_CONVERSATIONS_PER_ADDRESS"):
        Settings(_env_file=None, new_conversations_per_address="lots")


def test_the_server_drops_an_oversized_frame_before_reading_it_whole(database_url):
    """uvicorn runs with --ws-max-size as in the Procfile: a 1 MiB frame ends the socket (1009, too big) at once,
    where before it was read whole (up to 16 MiB) and only then refused."""
    import re
    import socket
    import threading
    from pathlib import Path

    import uvicorn
    from websockets.exceptions import ConnectionClosed
    from websockets.sync.client import connect

    procfile = (Path(__file__).resolve().parents[3] / "Procfile").read_text()
    max_size = int(re.search(r"^handoff:.*--ws-max-size (\d+)", procfile, re.MULTILINE).group(1))
    assert 64 * 1024 <= max_size <= 128 * 1024  # room for the largest honest frame, no more
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(_settings(database_url)), host="127.0.0.1", port=port,
                                           log_level="warning", ws_max_size=max_size))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline
        time.sleep(0.05)
    try:
        with connect(f"ws://127.0.0.1:{port}/ws/chat", max_size=None) as ws:
            ws.send('{"type": "hello"}')
            assert '"welcome"' in ws.recv(timeout=10)
            ws.send('{"type": "message", "client_id": "big", "text": "' + "x" * (1024 * 1024) + '"}')
            with pytest.raises(ConnectionClosed) as closed:
                while True:
                    ws.recv(timeout=10)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009
    finally:
        server.should_exit = True
        thread.join(timeout=15)
