"""One-at-a-time work across workers: in one process, or with Redis (SET NX with an expiry)."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable

from handoff.realtime.client import redis_client

logger = logging.getLogger(__name__)


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
