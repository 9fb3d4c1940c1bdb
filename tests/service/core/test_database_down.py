"""When the database cannot be reached, callers get a clear, retryable 503, never a bare 500."""

from __future__ import annotations

from starlette.testclient import TestClient

from handoff.core.config import Settings
from handoff.main import create_app

from ..chat_helpers import assistant_turn
from ..conftest import CLOSED_PORT_URL


def test_a_database_that_is_down_gives_a_retryable_503():
    settings = Settings(database_url="postgresql://postgres@127.0.0.1:9/nothing", rasa_url=CLOSED_PORT_URL,
                        _env_file=None)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        client.cookies.set("officer_session", "a-session")
        with assistant_turn(client, "abc"):
            requested = client.post("/api/handoff-requests", json={"sender_id": "abc", "request_id": "r1",
                                                                   "goal": "talk", "share_transcript": False})
        for response in (client.get("/api/console/me"), requested):
            assert response.status_code == 503
            assert response.headers["retry-after"] == "2"
            assert "try again" in response.json()["detail"]


def test_with_the_database_down_a_web_chat_is_told_where_to_get_help_and_to_come_back():
    """Not a dropped connection with nothing said: the page shows the message and connects again later."""
    from starlette.websockets import WebSocketDisconnect

    settings = Settings(database_url="postgresql://postgres@127.0.0.1:9/nothing", rasa_url=CLOSED_PORT_URL,
                        _env_file=None)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client, \
            client.websocket_connect("/ws/chat") as ws:
        ws.send_json({"type": "hello", "token": None, "after": 0})
        refused = ws.receive_json()
        assert refused["code"] == "server_busy" and refused["retry_after"] > 0
        assert "999" in refused["message"] and "116 123" in refused["message"]
        try:
            ws.receive_json()
            raise AssertionError("the socket stayed open")
        except WebSocketDisconnect as closed:
            assert closed.code == 1013  # try again later
