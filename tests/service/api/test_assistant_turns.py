"""The action server's API acts only on a conversation whose assistant turn is in progress.

Whoever reaches the action server (or holds its token) could otherwise erase any conversation, or open a case
for it, by naming its id.
"""

from __future__ import annotations

import os
import uuid

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from handoff.cases.models import Case
from handoff.main import create_app
from handoff.turns import RedisTurns, Turns

from ..chat_helpers import assistant_turn, hello, is_assistant_message, receive_until
from ..db_helpers import conversation_row, messages, run_db

API_TOKEN = "t" * 32
needs_redis = pytest.mark.skipif(not os.environ.get("TEST_REDIS_URL"), reason="TEST_REDIS_URL is not set")


@pytest.fixture
def with_token(settings):
    return settings.model_copy(update={"handoff_api_token": API_TOKEN})


def _chat_with_a_message(client) -> None:
    with client.websocket_connect("/ws/chat") as ws:
        hello(ws)
        ws.send_json({"type": "message", "client_id": "m1", "text": "something I want kept"})
        receive_until(ws, is_assistant_message)


def _calls(public_id: str) -> list[tuple[str, dict]]:
    return [
        ("/api/conversations/erase", {"sender_id": public_id}),
        ("/api/handoff-requests", {"sender_id": public_id, "request_id": "x", "goal": "talk",
                                   "share_transcript": True}),
        ("/api/callback-requests", {"sender_id": public_id, "request_id": "y", "preferred_channel": "sms",
                                    "safe_time": "any", "contact": "07700 900123"}),
        ("/api/cases/resume", {"sender_id": public_id, "reference": "KMX-4QT-HCE"}),
    ]


def test_with_the_token_but_no_turn_in_progress_nothing_is_erased_or_opened(with_token):
    auth = {"Authorization": f"Bearer {API_TOKEN}"}
    with TestClient(create_app(with_token)) as client:
        _chat_with_a_message(client)
        public_id = conversation_row(with_token).public_id
        for path, body in _calls(public_id):
            refused = client.post(path, json=body, headers=auth)
            assert refused.status_code == 409, path
            assert "no assistant turn is in progress" in refused.json()["detail"]
        assert len(messages(with_token)) == 2  # the student's message and the fallback reply are still there
        assert run_db(with_token, lambda db: db.scalar(select(Case.id))) is None
        # An unknown conversation reads the same as a known one: the refusal says nothing about which exist.
        assert client.post("/api/conversations/erase", json={"sender_id": "nobody"}, headers=auth).status_code == 409

        with assistant_turn(client, public_id):
            erased = client.post("/api/conversations/erase", json={"sender_id": public_id}, headers=auth)
        assert erased.json() == {"erased": 2, "kept_for_case": False}


async def test_a_turn_is_open_only_while_it_runs_and_remembers_its_client():
    turns = Turns()
    assert await turns.client_of("c1") is None
    async with turns.running("c1", "web:abc"):
        async with turns.running("c1", "web:abc"):  # a second message of the same conversation
            assert await turns.client_of("c1") == "web:abc"
        assert await turns.client_of("c1") == "web:abc"
        assert await turns.client_of("c2") is None
    assert await turns.client_of("c1") is None


@pytest.mark.redis
@needs_redis
async def test_a_turn_on_one_worker_is_seen_by_another_and_lapses_if_its_worker_dies():
    prefix = f"test-{uuid.uuid4().hex[:8]}:"
    now = [1000.0]
    worker_a = RedisTurns(os.environ["TEST_REDIS_URL"], prefix, ttl=20, clock=lambda: now[0])
    worker_b = RedisTurns(os.environ["TEST_REDIS_URL"], prefix, ttl=20, clock=lambda: now[0])
    try:
        async with worker_a.running("c1", "sms:hash"):
            assert await worker_b.client_of("c1") == "sms:hash"
        assert await worker_b.client_of("c1") is None
        await worker_a._begin("c2", "t1", "web:x")  # a worker that dies mid-turn never ends it
        assert await worker_b.client_of("c2") == "web:x"
        now[0] += 21
        assert await worker_b.client_of("c2") is None
    finally:
        await worker_a.aclose()
        await worker_b.aclose()


@pytest.mark.redis
@needs_redis
def test_the_action_servers_call_may_reach_another_worker(settings):
    shared = settings.model_copy(update={"redis_url": os.environ["TEST_REDIS_URL"],
                                         "redis_prefix": f"test-{uuid.uuid4().hex[:8]}:"})
    with TestClient(create_app(shared)) as worker_a, TestClient(create_app(shared)) as worker_b:
        _chat_with_a_message(worker_a)
        public_id = conversation_row(settings).public_id
        with assistant_turn(worker_a, public_id):
            erased = worker_b.post("/api/conversations/erase", json={"sender_id": public_id})
        assert erased.status_code == 200 and erased.json()["erased"] == 2
        assert worker_b.post("/api/conversations/erase", json={"sender_id": public_id}).status_code == 409
