"""Fan-out of conversation events to whoever is listening (the student's socket, officer consoles).

The in-memory hub serves one process. With several workers, a Redis-backed hub publishes
to every worker so a student on one worker and an officer on another both see each event.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import defaultdict
from collections.abc import AsyncIterator
from typing import Any

Event = dict[str, Any]


class Hub:
    """Topic-based publish/subscribe inside one process."""

    def __init__(self, queue_size: int = 256) -> None:
        self._subscribers: dict[str, set[asyncio.Queue[Event]]] = defaultdict(set)
        self._queue_size = queue_size

    async def publish(self, topic: str, event: Event) -> None:
        """Deliver an event to every subscriber of the topic."""
        self._deliver(topic, event)

    def _deliver(self, topic: str, event: Event) -> None:
        for queue in list(self._subscribers.get(topic, ())):
            with contextlib.suppress(asyncio.QueueFull):
                queue.put_nowait(event)

    @contextlib.asynccontextmanager
    async def subscribe(self, topic: str) -> AsyncIterator[asyncio.Queue[Event]]:
        """A queue that receives the topic's events until the block ends."""
        queue: asyncio.Queue[Event] = asyncio.Queue(self._queue_size)
        self._subscribers[topic].add(queue)
        try:
            yield queue
        finally:
            self._subscribers[topic].discard(queue)
            if not self._subscribers[topic]:
                del self._subscribers[topic]

    async def aclose(self) -> None:
        self._subscribers.clear()


def conversation_topic(public_id: str) -> str:
    """The topic carrying one conversation's events."""
    return f"conversation:{public_id}"


class RedisHub(Hub):
    """Publishes through Redis so every worker's subscribers receive every event."""

    def __init__(self, url: str, queue_size: int = 256, channel_prefix: str = "handoff:") -> None:
        super().__init__(queue_size)
        import redis.asyncio as redis

        self._redis = redis.from_url(url, decode_responses=True, health_check_interval=15)
        self._prefix = channel_prefix
        self._pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
        self._reader: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()

    async def publish(self, topic: str, event: Event) -> None:
        await self._redis.publish(self._prefix + topic, json.dumps(event))

    async def _ensure_reader(self) -> None:
        if self._reader is None:
            await self._pubsub.psubscribe(self._prefix + "*")
            self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        while True:
            try:
                message = await self._pubsub.get_message(timeout=1.0)
            except Exception:  # Redis restarted: wait, then resubscribe
                await asyncio.sleep(0.5)
                with contextlib.suppress(Exception):
                    await self._pubsub.psubscribe(self._prefix + "*")
                continue
            if message and message.get("type") == "pmessage":
                topic = message["channel"][len(self._prefix):]
                with contextlib.suppress(ValueError):
                    self._deliver(topic, json.loads(message["data"]))

    @contextlib.asynccontextmanager
    async def subscribe(self, topic: str) -> AsyncIterator[asyncio.Queue[Event]]:
        await self._ensure_reader()
        async with super().subscribe(topic) as queue:
            yield queue

    async def aclose(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reader
        with contextlib.suppress(Exception):
            await self._pubsub.aclose()
        await self._redis.aclose()
        await super().aclose()


def create_hub(redis_url: str = "") -> Hub:
    """A Redis-backed hub when Redis is configured, otherwise one for this process only."""
    return RedisHub(redis_url) if redis_url else Hub()
