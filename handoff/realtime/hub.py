"""Fan-out of conversation events to whoever is listening (the student's socket, officer consoles): in one
process, or through Redis for every worker."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
from collections import defaultdict
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from handoff.realtime.client import redis_client

if TYPE_CHECKING:
    from redis.asyncio.client import PubSub

Event = dict[str, Any]
RESYNC: Event = {"type": "resync"}
RESYNC_TOPIC = "!resync"  # after publishing failed: every worker's listeners catch up from the database
logger = logging.getLogger(__name__)


class Hub:
    """Topic-based publish/subscribe inside one process."""

    def __init__(self, queue_size: int = 256) -> None:
        self._subscribers: dict[str, set[asyncio.Queue[Event]]] = defaultdict(set)
        self._queue_size = queue_size

    async def publish(self, topic: str, event: Event) -> None:
        """Deliver an event to every subscriber of the topic."""
        self._deliver(topic, event)

    def publish_here(self, topic: str, event: Event) -> None:
        """Deliver an event to this worker's subscribers only: for what only a socket here shows (the
        assistant's typing indicator goes to the student whose message this worker is answering)."""
        self._deliver(topic, event)

    def _deliver(self, topic: str, event: Event) -> None:
        for queue in list(self._subscribers.get(topic, ())):
            with contextlib.suppress(asyncio.QueueFull):
                queue.put_nowait(event)

    def _deliver_everywhere(self, event: Event) -> None:
        for topic in list(self._subscribers):
            self._deliver(topic, event)

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
    """Publishes through Redis so every worker's subscribers receive every event.

    This worker's own subscribers hear an event at once, without a trip through Redis; the copy sent to Redis
    for the other workers carries this hub's origin, so the reader skips it when it comes back. Events go to
    Redis in the order they were published, from one background sender, so a publisher never waits on Redis.

    Survives a Redis restart: the reader resubscribes and then tells every local subscriber to resync from
    the database. Publishing while Redis is away never raises: the event is already stored, and the other
    workers' listeners catch up when Redis is back.
    """

    def __init__(self, url: str, queue_size: int = 256, channel_prefix: str = "handoff:",
                 retry_every: float = 0.5, outbox_size: int = 10_000) -> None:
        super().__init__(queue_size)
        self._redis = redis_client(url)
        self._prefix = channel_prefix
        self._retry_every = retry_every
        self._origin = secrets.token_hex(8)
        self._pubsub: PubSub | None = None
        self._reader: asyncio.Task[None] | None = None
        self._start_lock = asyncio.Lock()
        self._connected = asyncio.Event()
        self._outbox: asyncio.Queue[tuple[str, str]] = asyncio.Queue(outbox_size)
        self._sender: asyncio.Task[None] | None = None
        self._published_while_away = False

    async def publish(self, topic: str, event: Event) -> None:
        self._deliver(topic, event)
        try:
            self._outbox.put_nowait((self._prefix + topic, f"{self._origin}\n{json.dumps(event)}"))
        except asyncio.QueueFull:  # Redis has been away a long time: the other workers resync when it is back
            self._published_while_away = True
            return
        if self._sender is None:
            self._sender = asyncio.create_task(self._send())

    async def _send(self) -> None:
        """Publish what is in the outbox, in order; a burst goes to Redis in one round trip."""
        while True:
            batch = [await self._outbox.get()]
            while not self._outbox.empty() and len(batch) < 500:
                batch.append(self._outbox.get_nowait())
            resync, self._published_while_away = self._published_while_away, False  # set again by any failure
            try:
                async with self._redis.pipeline(transaction=False) as pipe:
                    for channel, data in batch:
                        pipe.publish(channel, data)
                    if resync:  # tell every worker to catch up on what it missed
                        pipe.publish(self._prefix + RESYNC_TOPIC, "{}")
                    await pipe.execute()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # Redis away: this worker's listeners heard it; the others resync later
                logger.warning("publishing through Redis failed (%s); delivered on this worker only",
                               type(exc).__name__)
                self._published_while_away = True
            finally:
                for _ in batch:
                    self._outbox.task_done()

    async def _ensure_reader(self) -> None:
        async with self._start_lock:
            if self._reader is None:
                self._reader = asyncio.create_task(self._read())
        # Wait briefly for the subscription, so events published right after subscribing are not missed;
        # if Redis is away the subscriber still gets a resync once it is back.
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._connected.wait(), timeout=3)

    async def _subscribe(self) -> PubSub:
        pubsub = self._redis.pubsub()
        try:
            await pubsub.psubscribe(self._prefix + "*")
            # The confirmation arrives in order before any message: once read, the subscription is live.
            while True:
                reply = await pubsub.get_message(timeout=2.0)
                if reply is None:
                    raise ConnectionError("no subscription confirmation")
                if reply.get("type") == "psubscribe":
                    return pubsub
        except BaseException:
            with contextlib.suppress(Exception):
                await pubsub.aclose()
            raise

    async def _read(self) -> None:
        missed = False  # whether events may have gone by unheard (Redis was away)
        while True:
            try:
                self._pubsub = await self._subscribe()
            except Exception as exc:
                logger.warning("subscribing through Redis failed (%s); trying again", type(exc).__name__)
                missed = True
                await asyncio.sleep(self._retry_every)
                continue
            self._connected.set()
            if missed:
                logger.info("Redis subscription restored; listeners resync from the database")
                self._deliver_everywhere(RESYNC)
                missed = False
            try:
                while True:
                    message = await self._pubsub.get_message(timeout=1.0)
                    if message and message.get("type") == "pmessage":
                        topic = message["channel"][len(self._prefix):]
                        if topic == RESYNC_TOPIC:
                            self._deliver_everywhere(RESYNC)
                            continue
                        origin, _, data = message["data"].rpartition("\n")  # JSON text holds no raw newline
                        if origin == self._origin:
                            continue  # published here: this worker's subscribers already have it
                        with contextlib.suppress(ValueError):
                            self._deliver(topic, json.loads(data))
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # Redis restarted or the connection dropped: subscribe afresh
                logger.warning("Redis subscription lost (%s); resubscribing", type(exc).__name__)
                missed = True
                self._connected.clear()
                with contextlib.suppress(Exception):
                    await self._pubsub.aclose()
                self._pubsub = None
                await asyncio.sleep(self._retry_every)

    @contextlib.asynccontextmanager
    async def subscribe(self, topic: str) -> AsyncIterator[asyncio.Queue[Event]]:
        async with super().subscribe(topic) as queue:
            await self._ensure_reader()
            yield queue

    async def flush(self, timeout: float = 5.0) -> None:
        """Wait until everything published so far has gone to Redis (or failed to)."""
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._outbox.join(), timeout)

    async def aclose(self) -> None:
        if self._sender is not None:  # hand what is still in the outbox to Redis before closing
            await self.flush()
            self._sender.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._sender
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reader
        if self._pubsub is not None:
            with contextlib.suppress(Exception):
                await self._pubsub.aclose()
        with contextlib.suppress(Exception):
            await self._redis.aclose()
        await super().aclose()


def create_hub(redis_url: str = "", prefix: str = "handoff:") -> Hub:
    """A Redis-backed hub when Redis is configured, otherwise one for this process only."""
    return RedisHub(redis_url, channel_prefix=prefix) if redis_url else Hub()
