"""Which conversations have an assistant turn in progress, and from which client.

The action server may only act on a conversation while the service is waiting for the assistant's answer to
that conversation's message: the handoff API checks here before it opens a case or erases a chat, so a caller
that reaches the action server (or holds its token) cannot pick any conversation by its id.
"""

from __future__ import annotations

import contextlib
import logging
import secrets
import time
from collections.abc import AsyncIterator, Callable

logger = logging.getLogger(__name__)


class Turns:
    """Turns in progress in this process. A turn is open from sending the message to the assistant until its
    answer (or failure) comes back; ``ttl`` bounds it in case a worker dies mid-turn (used by the Redis version)."""

    def __init__(self, ttl: float = 60.0, clock: Callable[[], float] = time.time) -> None:
        self.ttl = ttl
        self._clock = clock
        self._open: dict[str, dict[str, str]] = {}  # public id -> {turn id: client key}

    @contextlib.asynccontextmanager
    async def running(self, public_id: str, client: str = "") -> AsyncIterator[None]:
        """Hold a turn open for a conversation while the assistant works on its message."""
        turn = secrets.token_hex(8)
        await self._begin(public_id, turn, client)
        try:
            yield
        finally:
            await self._end(public_id, turn)

    async def _begin(self, public_id: str, turn: str, client: str) -> None:
        self._open.setdefault(public_id, {})[turn] = client

    async def _end(self, public_id: str, turn: str) -> None:
        turns = self._open.get(public_id, {})
        turns.pop(turn, None)
        if not turns:
            self._open.pop(public_id, None)

    async def client_of(self, public_id: str) -> str | None:
        """The client key of a turn in progress for this conversation ("" if not known), or None if none is."""
        turns = self._open.get(public_id)
        return next(iter(turns.values())) if turns else None

    async def aclose(self) -> None:
        self._open.clear()


class RedisTurns(Turns):
    """Turns shared by every worker: the action server's call may reach a worker other than the one that sent
    the message. ``{prefix}turn:{public id}`` is a hash of turn id -> "expiry client". If Redis is away, this
    worker's own turns still count (the call is refused only if it lands on another worker)."""

    def __init__(self, url: str, prefix: str = "handoff:", ttl: float = 60.0,
                 clock: Callable[[], float] = time.time) -> None:
        super().__init__(ttl, clock)
        from handoff.realtime import redis_client

        self._redis = redis_client(url)
        self._prefix = prefix

    def _key(self, public_id: str) -> str:
        return f"{self._prefix}turn:{public_id}"

    async def _begin(self, public_id: str, turn: str, client: str) -> None:
        await super()._begin(public_id, turn, client)
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.hset(self._key(public_id), turn, f"{self._clock() + self.ttl} {client}")
                pipe.expire(self._key(public_id), int(self.ttl) + 1)
                await pipe.execute()
        except Exception as exc:
            logger.warning("recording a turn in Redis failed (%s); only this worker knows it", type(exc).__name__)

    async def _end(self, public_id: str, turn: str) -> None:
        await super()._end(public_id, turn)
        try:
            await self._redis.hdel(self._key(public_id), turn)
        except Exception as exc:
            logger.warning("ending a turn in Redis failed (%s); it lapses on its own", type(exc).__name__)

    async def client_of(self, public_id: str) -> str | None:
        here = await super().client_of(public_id)
        if here is not None:
            return here
        try:
            entries = await self._redis.hgetall(self._key(public_id))
        except Exception as exc:
            logger.warning("reading turns from Redis failed (%s)", type(exc).__name__)
            return None
        now = self._clock()
        for value in entries.values():
            expires, _, client = str(value).partition(" ")
            if float(expires) > now:
                return client
        return None

    async def aclose(self) -> None:
        with contextlib.suppress(Exception):
            await self._redis.aclose()
        await super().aclose()


def create_turns(redis_url: str = "", prefix: str = "handoff:", ttl: float = 60.0) -> Turns:
    """Shared through Redis when Redis is configured, otherwise per process."""
    return RedisTurns(redis_url, prefix, ttl) if redis_url else Turns(ttl)
