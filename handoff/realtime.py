"""Fan-out of conversation events to whoever is listening (the student's socket, officer consoles), and the
other state that several workers must share: which officers are online, and one-at-a-time claims.

The in-memory versions serve one process. With several workers (REDIS_URL set), the Redis versions share it:
a student on one worker and an officer on another both see each event.

Events are stored in the database before they are published, so a listener that missed some (Redis was
restarting) catches up from the database: after reconnecting, the Redis hub gives every subscriber a
``{"type": "resync"}`` event, and the chat socket resends what its client has not had yet.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from redis.asyncio import Redis
    from redis.asyncio.client import PubSub

Event = dict[str, Any]
RESYNC: Event = {"type": "resync"}
RESYNC_TOPIC = "!resync"  # after publishing failed: every worker's listeners catch up from the database
logger = logging.getLogger(__name__)


def redis_client(url: str) -> Redis:
    """A client that gives up quickly when Redis is away, so callers can fall back instead of hanging."""
    import redis.asyncio as redis
    from redis.asyncio.retry import Retry
    from redis.backoff import ExponentialBackoff
    from redis.exceptions import ConnectionError, TimeoutError

    # After a Redis restart every pooled connection is dead: retry on a fresh one before giving up.
    return redis.from_url(url, decode_responses=True, health_check_interval=15, socket_connect_timeout=2,
                          socket_timeout=5, retry=Retry(ExponentialBackoff(cap=0.5, base=0.05), 2),
                          retry_on_error=[ConnectionError, TimeoutError])


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


# Officer presence ---------------------------------------------------------------------------------------------


class Presence:
    """Which officers have a console open, in this process. Each console socket is one connection."""

    ttl = 30.0  # a connection not refreshed for this long counts as gone (used by the Redis version)
    heartbeat_every = 10.0

    def __init__(self) -> None:
        self._connections: dict[int, set[str]] = defaultdict(set)
        self._gone: dict[int, float] = {}  # when an officer's last console closed (for the grace period)

    async def connected(self, officer_id: int) -> str:
        """Record a new console connection; returns its id for heartbeat() and disconnected()."""
        connection = secrets.token_hex(8)
        self._connections[officer_id].add(connection)
        return connection

    async def present(self, officer_id: int, grace: float) -> bool:
        """A console of theirs is open, or the last one closed under ``grace`` seconds ago (a reload, a blip).

        Nothing outlives the process: after a restart an officer is present again once their console reconnects.
        """
        if await self.online(officer_id):
            return True
        gone = await self._gone_at(officer_id)
        return gone is not None and time.time() - gone < grace

    async def _gone_at(self, officer_id: int) -> float | None:
        return self._gone.get(officer_id)

    async def heartbeat(self, officer_id: int, connection: str) -> None:
        """The connection is still open (only matters when connections can vanish with their worker)."""

    async def disconnected(self, officer_id: int, connection: str) -> None:
        self._connections[officer_id].discard(connection)
        if not self._connections[officer_id]:
            del self._connections[officer_id]
        self._gone[officer_id] = time.time()

    async def online(self, officer_id: int) -> bool:
        return bool(self._connections.get(officer_id))

    async def vanished(self, older_than: float) -> list[int]:
        """Officers whose every connection stopped without closing (their worker died) over ``older_than``
        seconds ago. In one process a connection always closes properly, so there are none."""
        return []

    async def forget(self, officer_id: int) -> None:
        """Stop tracking an officer who has been dealt with as disconnected."""

    async def aclose(self) -> None:
        self._connections.clear()


class RedisPresence(Presence):
    """Presence shared by every worker: expiring entries that each worker refreshes for its open sockets.

    ``{prefix}presence:{officer}`` is a sorted set of connection ids scored by when they expire; a worker
    that dies stops refreshing, so its connections lapse after ``ttl`` seconds instead of counting for ever.
    ``{prefix}presence:seen`` keeps each officer's last refresh, so a vanished officer can be noticed.
    If Redis is away, officers count as online: nobody is moved out of a conversation because of it.
    """

    def __init__(self, url: str, prefix: str = "handoff:", clock: Callable[[], float] = time.time) -> None:
        super().__init__()
        self._redis = redis_client(url)
        self._prefix = prefix
        self._clock = clock

    def _key(self, officer_id: int) -> str:
        return f"{self._prefix}presence:{officer_id}"

    async def _refresh(self, officer_id: int, connection: str) -> None:
        now = self._clock()
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.zadd(self._key(officer_id), {connection: now + self.ttl})
                pipe.expire(self._key(officer_id), int(self.ttl * 2))
                pipe.hset(f"{self._prefix}presence:seen", str(officer_id), str(now))
                await pipe.execute()
        except Exception as exc:
            logger.warning("recording presence in Redis failed (%s)", type(exc).__name__)

    async def connected(self, officer_id: int) -> str:
        connection = await super().connected(officer_id)
        await self._refresh(officer_id, connection)
        return connection

    async def heartbeat(self, officer_id: int, connection: str) -> None:
        await self._refresh(officer_id, connection)

    async def disconnected(self, officer_id: int, connection: str) -> None:
        await super().disconnected(officer_id, connection)
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.zrem(self._key(officer_id), connection)
                pipe.hset(f"{self._prefix}presence:gone", str(officer_id), str(self._clock()))
                await pipe.execute()
        except Exception as exc:
            logger.warning("removing presence from Redis failed (%s)", type(exc).__name__)

    async def present(self, officer_id: int, grace: float) -> bool:
        if await self.online(officer_id):
            return True
        gone = await self._gone_at(officer_id)
        return gone is not None and self._clock() - gone < grace

    async def _gone_at(self, officer_id: int) -> float | None:
        try:
            gone = await self._redis.hget(f"{self._prefix}presence:gone", str(officer_id))
        except Exception:
            return None
        return float(gone) if gone is not None else None

    async def online(self, officer_id: int) -> bool:
        try:
            return bool(await self._redis.zcount(self._key(officer_id), self._clock(), "+inf"))
        except Exception as exc:
            logger.warning("reading presence from Redis failed (%s); counting the officer as online",
                           type(exc).__name__)
            return True

    async def vanished(self, older_than: float) -> list[int]:
        try:
            seen = await self._redis.hgetall(f"{self._prefix}presence:seen")
        except Exception:
            return []
        cutoff = self._clock() - self.ttl - older_than
        return [int(officer) for officer, at in seen.items()
                if float(at) < cutoff and not await self.online(int(officer))]

    async def forget(self, officer_id: int) -> None:
        with contextlib.suppress(Exception):
            await self._redis.hdel(f"{self._prefix}presence:seen", str(officer_id))

    async def aclose(self) -> None:
        with contextlib.suppress(Exception):
            await self._redis.aclose()
        await super().aclose()


def create_presence(redis_url: str = "", prefix: str = "handoff:") -> Presence:
    return RedisPresence(redis_url, prefix) if redis_url else Presence()


# Claims ------------------------------------------------------------------------------------------------------


class Claims:
    """One-at-a-time work across workers: ``claim(name, seconds)`` is True for one caller per period."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._until: dict[str, float] = {}
        self._clock = clock

    async def claim(self, name: str, seconds: float) -> bool:
        now = self._clock()
        if self._until.get(name, 0.0) > now:
            return False
        self._until[name] = now + seconds
        return True

    async def aclose(self) -> None:
        self._until.clear()


class RedisClaims(Claims):
    """Claims shared by every worker (SET NX with an expiry). If Redis is away nobody gets the claim:
    the work waits for the next period rather than being done twice."""

    def __init__(self, url: str, prefix: str = "handoff:") -> None:
        super().__init__()
        self._redis = redis_client(url)
        self._prefix = prefix

    async def claim(self, name: str, seconds: float) -> bool:
        try:
            return bool(await self._redis.set(f"{self._prefix}claim:{name}", "1", nx=True,
                                              px=max(1, int(seconds * 1000))))
        except Exception as exc:
            logger.warning("claiming %s through Redis failed (%s); skipped this time", name, type(exc).__name__)
            return False

    async def aclose(self) -> None:
        with contextlib.suppress(Exception):
            await self._redis.aclose()


def create_claims(redis_url: str = "", prefix: str = "handoff:") -> Claims:
    return RedisClaims(redis_url, prefix) if redis_url else Claims()
