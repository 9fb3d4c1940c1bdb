"""A moving-window rate limit per key (a conversation), by the limits library: in this process, or shared by
every worker in Redis. If Redis is away, this worker's own count holds, so the limit is never lifted."""

from __future__ import annotations

import logging
import math
import time

from limits import RateLimitItem, RateLimitItemPerSecond
from limits.aio.storage import MemoryStorage, RedisStorage
from limits.aio.strategies import MovingWindowRateLimiter

logger = logging.getLogger(__name__)
NAMESPACE = "rate"


class RateLimiter:
    """Allows ``limit`` events per ``window`` seconds (whole seconds, at least one) for each key."""

    def __init__(self, limit: int, window: float, redis_url: str = "", prefix: str = "handoff:") -> None:
        self.limit, self.window = limit, max(1, math.ceil(window))
        self.item: RateLimitItem = RateLimitItemPerSecond(limit, self.window)
        self._here = MovingWindowRateLimiter(MemoryStorage())
        self._shared: MovingWindowRateLimiter | None = None
        if redis_url:
            storage = RedisStorage("async+" + redis_url, implementation="redispy", key_prefix=prefix.rstrip(":"),
                                   socket_connect_timeout=2, socket_timeout=2)
            self._shared = MovingWindowRateLimiter(storage)

    async def acquire(self, key: str) -> float:
        """Record an event: 0.0 when it is within the limit, otherwise the seconds until the key may send."""
        if self._shared is not None:
            try:
                return await self._count(self._shared, key)
            except Exception as exc:
                logger.warning("shared rate limit unavailable (%s); counting in this worker", type(exc).__name__)
        return await self._count(self._here, key)

    async def _count(self, limiter: MovingWindowRateLimiter, key: str) -> float:
        if await limiter.hit(self.item, NAMESPACE, key):
            return 0.0
        stats = await limiter.get_window_stats(self.item, NAMESPACE, key)
        return max(0.1, stats.reset_time - time.time())

    async def aclose(self) -> None:
        """Forget this process's counts (the shared ones expire in Redis by themselves)."""
        await self._here.storage.reset()


def create_rate_limiter(limit: int, window: float, redis_url: str = "", prefix: str = "handoff:") -> RateLimiter:
    """Shared through Redis when Redis is configured, otherwise per process."""
    return RateLimiter(limit, window, redis_url, prefix)
