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
