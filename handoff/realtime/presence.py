"""Which officers have a console open: in one process, or in Redis for every worker."""

from __future__ import annotations

import contextlib
import logging
import secrets
import time
from collections import defaultdict
from collections.abc import Callable

from handoff.realtime.client import redis_client

logger = logging.getLogger(__name__)


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
