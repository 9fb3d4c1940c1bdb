"""Events reach subscribers in this process, and across workers through Redis."""

import asyncio
import os
import shutil
import uuid

import pytest
from cluster import PrivateRedis

from handoff.realtime import RESYNC, Claims, Hub, Presence, RedisClaims, RedisHub, RedisPresence


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


# Redis restarts, presence and claims: each test has a redis-server of its own, so it can restart it. --------

needs_redis_server = pytest.mark.skipif(shutil.which("redis-server") is None, reason="redis-server is not installed")


@pytest.fixture
def private_redis(tmp_path):
    server = PrivateRedis(tmp_path / "redis").start()
    try:
        yield server
    finally:
        server.stop()


async def _next(queue, limit: float = 10):
    return await asyncio.wait_for(queue.get(), limit)


@needs_redis_server
async def test_after_a_redis_restart_subscribers_resync_and_events_flow_again(private_redis):
    worker_a, worker_b = RedisHub(private_redis.url), RedisHub(private_redis.url)
    try:
        async with worker_b.subscribe("conversation:x") as on_b, worker_a.subscribe("conversation:x") as on_a:
            await worker_a.publish("conversation:x", {"seq": 1})
            assert await _next(on_b) == {"seq": 1}
            assert await _next(on_a) == {"seq": 1}

            await asyncio.to_thread(private_redis.stop)
            # Redis is away: publishing does not fail, and this worker's own listeners still hear the event.
            await worker_a.publish("conversation:x", {"seq": 2})
            assert await _next(on_a) == {"seq": 2}
            await worker_a.flush()  # its copy for the other workers has failed to reach Redis
            await asyncio.to_thread(private_redis.start)

            # Worker B missed seq 2: once resubscribed, it tells its listener to catch up from the database.
            assert await _next(on_b) == RESYNC
            await worker_a.publish("conversation:x", {"seq": 3})
            received = [await _next(on_b) for _ in range(2)]
            assert {"seq": 3} in received
            assert {"seq": 2} not in received
    finally:
        await worker_a.aclose()
        await worker_b.aclose()


async def test_in_one_process_an_officer_is_online_while_any_console_is_open():
    presence = Presence()
    first, second = await presence.connected(7), await presence.connected(7)
    await presence.disconnected(7, first)
    assert await presence.online(7)
    await presence.disconnected(7, second)
    assert not await presence.online(7)
    assert await presence.vanished(older_than=0) == []


@needs_redis_server
async def test_presence_is_shared_by_workers_and_lapses_when_a_worker_stops_refreshing(private_redis):
    prefix = f"t{uuid.uuid4().hex[:8]}:"
    worker_a, worker_b = RedisPresence(private_redis.url, prefix), RedisPresence(private_redis.url, prefix)
    worker_a.ttl = worker_b.ttl = 1.0
    try:
        connection = await worker_a.connected(42)
        assert await worker_b.online(42)  # the console is open on worker A; worker B sees it
        await asyncio.sleep(0.6)
        await worker_a.heartbeat(42, connection)
        await asyncio.sleep(0.6)
        assert await worker_b.online(42)  # refreshed in time
        # Worker A dies (no more heartbeats, no clean close): the officer stops counting as online.
        await asyncio.sleep(1.2)
        assert not await worker_b.online(42)
        assert await worker_b.vanished(older_than=0) == [42]
        await worker_b.forget(42)
        assert await worker_b.vanished(older_than=0) == []
    finally:
        await worker_a.aclose()
        await worker_b.aclose()


@needs_redis_server
async def test_a_console_closed_cleanly_on_one_worker_is_offline_for_all(private_redis):
    worker_a, worker_b = RedisPresence(private_redis.url), RedisPresence(private_redis.url)
    try:
        connection = await worker_a.connected(5)
        other = await worker_b.connected(5)
        await worker_a.disconnected(5, connection)
        assert await worker_a.online(5)  # still open on worker B
        await worker_b.disconnected(5, other)
        assert not await worker_a.online(5)
    finally:
        await worker_a.aclose()
        await worker_b.aclose()


async def test_presence_counts_an_officer_as_online_while_redis_is_unreachable():
    presence = RedisPresence("redis://127.0.0.1:9")  # nothing listens: no officer is moved out of a conversation
    try:
        connection = await presence.connected(3)
        assert await presence.online(3)
        await presence.disconnected(3, connection)
    finally:
        await presence.aclose()


@needs_redis_server
async def test_of_two_workers_only_one_gets_each_rounds_claim(private_redis):
    worker_a, worker_b = RedisClaims(private_redis.url), RedisClaims(private_redis.url)
    try:
        results = await asyncio.gather(*(w.claim("watch_waiting", 0.5) for w in (worker_a, worker_b, worker_a)))
        assert sorted(results) == [False, False, True]
        await asyncio.sleep(0.6)
        assert await worker_b.claim("watch_waiting", 0.5)
    finally:
        await worker_a.aclose()
        await worker_b.aclose()


async def test_nobody_gets_a_claim_while_redis_is_unreachable_and_one_process_gets_it_once_per_round():
    away = RedisClaims("redis://127.0.0.1:9")
    assert not await away.claim("watch_waiting", 1)
    await away.aclose()
    local = Claims()
    assert await local.claim("watch_waiting", 30)
    assert not await local.claim("watch_waiting", 30)



@needs_redis_server
async def test_a_worker_that_starts_while_redis_is_down_catches_up_once_it_is_up(tmp_path):
    server = PrivateRedis(tmp_path / "redis")  # not started yet
    hub = RedisHub(server.url)
    try:
        async with hub.subscribe("conversation:z") as queue:
            await asyncio.to_thread(server.start)
            assert await _next(queue) == RESYNC
            await hub.publish("conversation:z", {"seq": 1})
            assert await _next(queue) == {"seq": 1}
    finally:
        await hub.aclose()
        server.stop()


async def test_an_officer_stays_present_for_the_grace_period_after_the_last_console_closes_then_lapses():
    presence = Presence()
    assert not await presence.present(3, grace=60)  # never opened a console here (e.g. after a restart)
    connection = await presence.connected(3)
    assert await presence.present(3, grace=0)
    await presence.disconnected(3, connection)
    assert await presence.present(3, grace=60)
    await asyncio.sleep(0.3)
    assert not await presence.present(3, grace=0.2)


@needs_redis_server
async def test_presence_and_its_grace_are_shared_by_workers(private_redis):
    prefix = f"t{uuid.uuid4().hex[:8]}:"
    worker_a, worker_b = RedisPresence(private_redis.url, prefix), RedisPresence(private_redis.url, prefix)
    try:
        assert not await worker_b.present(8, grace=60)
        connection = await worker_a.connected(8)
        assert await worker_b.present(8, grace=0)  # the console is open on worker A
        await worker_a.disconnected(8, connection)
        assert await worker_b.present(8, grace=60)  # closed a moment ago: a reload, perhaps
        await asyncio.sleep(0.3)
        assert not await worker_b.present(8, grace=0.2)
    finally:
        await worker_a.aclose()
        await worker_b.aclose()
