"""Events reach subscribers in this process, and across workers through Redis."""

import asyncio
import os

import pytest

from handoff.realtime import Hub, RedisHub


async def test_a_subscriber_receives_events_of_its_topic_only():
    hub = Hub()
    async with hub.subscribe("conversation:a") as a, hub.subscribe("conversation:b") as b:
        await hub.publish("conversation:a", {"n": 1})
        assert await asyncio.wait_for(a.get(), 1) == {"n": 1}
        assert b.empty()


@pytest.mark.redis
@pytest.mark.skipif(not os.environ.get("TEST_REDIS_URL"), reason="TEST_REDIS_URL is not set")
async def test_an_event_published_on_one_worker_reaches_a_subscriber_on_another():
    url = os.environ["TEST_REDIS_URL"]
    worker_a, worker_b = RedisHub(url, channel_prefix="test-handoff:"), RedisHub(url, channel_prefix="test-handoff:")
    try:
        async with worker_b.subscribe("conversation:x") as queue:
            await asyncio.sleep(0.2)  # let the subscription reach Redis
            await worker_a.publish("conversation:x", {"type": "message", "seq": 7})
            assert await asyncio.wait_for(queue.get(), 3) == {"type": "message", "seq": 7}
    finally:
        await worker_a.aclose()
        await worker_b.aclose()
