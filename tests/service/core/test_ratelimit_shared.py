"""The rate limit: one budget per conversation, shared by every worker when Redis is configured."""

from __future__ import annotations

import os
import uuid

import pytest
from starlette.testclient import TestClient

from handoff.core.config import Settings
from handoff.main import create_app
from handoff.ratelimit import RateLimiter, RedisRateLimiter

from ..chat_helpers import hello, is_assistant_message, receive_until

needs_redis = pytest.mark.skipif(not os.environ.get("TEST_REDIS_URL"), reason="TEST_REDIS_URL is not set")


async def test_in_one_process_the_limit_holds_and_says_when_to_try_again():
    now = [0.0]
    limiter = RateLimiter(2, 60, clock=lambda: now[0])
    assert await limiter.acquire("c") == 0 and await limiter.acquire("c") == 0
    assert await limiter.acquire("c") == pytest.approx(60)
    now[0] = 61
    assert await limiter.acquire("c") == 0


@pytest.mark.redis
@needs_redis
async def test_two_workers_share_one_budget_per_conversation():
    prefix = f"test-{uuid.uuid4().hex[:8]}:"
    worker_a = RedisRateLimiter(os.environ["TEST_REDIS_URL"], 3, 60, prefix)
    worker_b = RedisRateLimiter(os.environ["TEST_REDIS_URL"], 3, 60, prefix)
    try:
        for worker in (worker_a, worker_b, worker_a):
            assert await worker.acquire("conv") == 0
        wait = await worker_b.acquire("conv")
        assert 59 < wait <= 60  # the fourth message, on either worker, waits for the window
        assert await worker_b.acquire("another conversation") == 0
    finally:
        await worker_a.aclose()
        await worker_b.aclose()


async def test_with_redis_unreachable_each_worker_still_limits_on_its_own():
    limiter = RedisRateLimiter("redis://127.0.0.1:9", 2, 60)  # nothing listens on the discard port
    try:
        assert await limiter.acquire("c") == 0 and await limiter.acquire("c") == 0
        assert await limiter.acquire("c") > 0
    finally:
        await limiter.aclose()


@pytest.mark.redis
@needs_redis
def test_a_student_who_moves_to_another_worker_keeps_the_same_budget(database_url):
    """Two service workers on one database and one Redis: the budget follows the conversation."""
    shared = {"database_url": database_url, "rasa_url": "http://127.0.0.1:9", "rate_limit_messages": 3,
              "redis_url": os.environ["TEST_REDIS_URL"], "redis_prefix": f"test-{uuid.uuid4().hex[:8]}:",
              "_env_file": None}
    with TestClient(create_app(Settings(**shared))) as worker_a, TestClient(create_app(Settings(**shared))) as worker_b:
        with worker_a.websocket_connect("/ws/chat") as ws:
            token = hello(ws)["token"]
            for n in ("a", "b"):
                ws.send_json({"type": "message", "client_id": n, "text": n})
                receive_until(ws, is_assistant_message)
        with worker_b.websocket_connect("/ws/chat") as ws:
            hello(ws, token=token, after=4)
            ws.send_json({"type": "message", "client_id": "c", "text": "c"})
            receive_until(ws, is_assistant_message)
            ws.send_json({"type": "message", "client_id": "d", "text": "d"})
            refused = receive_until(ws, lambda e: e["type"] == "error")[-1]
            assert refused["code"] == "rate_limited" and refused["client_id"] == "d" and refused["retry_after"] > 0
            ws.send_json({"type": "message", "client_id": "a", "text": "a"})  # a resend is still acknowledged
            ack = receive_until(ws, lambda e: e["type"] == "ack")[-1]
            assert ack["duplicate"] is True and ack["seq"] == 1
