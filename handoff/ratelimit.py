"""A sliding-window rate limit per key (a conversation): in this process, or shared by every worker in Redis."""

from __future__ import annotations

import logging
import secrets
import time
from collections import deque
from collections.abc import Callable

logger = logging.getLogger(__name__)


class RateLimiter:
    """Allows ``limit`` events per ``window`` seconds for each key, counted in this process."""

    def __init__(self, limit: int, window: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit, self.window, self._clock = limit, window, clock
        self._events: dict[str, deque[float]] = {}

    def allow(self, key: str) -> bool:
        """Record an event and say whether it is within the limit (this process's count only)."""
        now = self._clock()
        events = self._events.setdefault(key, deque())
        while events and now - events[0] > self.window:
            events.popleft()
        if len(events) >= self.limit:
            return False
        events.append(now)
        if len(self._events) > 10_000:
            self._prune(now)
        return True

    def retry_after(self, key: str) -> float:
        """Seconds until the key may send again."""
        events = self._events.get(key)
        if not events or len(events) < self.limit:
            return 0.0
        return max(0.0, self.window - (self._clock() - events[0]))

    async def acquire(self, key: str) -> float:
        """Record an event: 0.0 when it is within the limit, otherwise the seconds until the key may send."""
        return 0.0 if self.allow(key) else max(self.retry_after(key), 0.1)

    def _prune(self, now: float) -> None:
        for key in [k for k, v in self._events.items() if not v or now - v[-1] > self.window]:
            del self._events[key]

    async def aclose(self) -> None:
        self._events.clear()


# A sorted set per key holds the times of recent events; Redis's own clock serves every worker.
_SLIDING_WINDOW = """
local now = redis.call('TIME')
local now_ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local window_ms = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now_ms - window_ms)
if redis.call('ZCARD', KEYS[1]) >= limit then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return math.max(1, window_ms - (now_ms - tonumber(oldest[2])))
end
redis.call('ZADD', KEYS[1], now_ms, now_ms .. '-' .. ARGV[3])
redis.call('PEXPIRE', KEYS[1], window_ms)
return 0
"""


class RedisRateLimiter(RateLimiter):
    """One budget per key for all workers together. ``acquire`` counts in Redis; if Redis is away it falls
    back to this process's count, so the limit still holds per worker. ``allow`` (synchronous) counts in
    this process only."""

    def __init__(self, url: str, limit: int, window: float, prefix: str = "handoff:") -> None:
        super().__init__(limit, window)
        from handoff.realtime import redis_client

        self._redis = redis_client(url)
        self._script = self._redis.register_script(_SLIDING_WINDOW)
        self._prefix = prefix
        self._instance, self._counter = secrets.token_hex(6), 0

    async def acquire(self, key: str) -> float:
        self._counter += 1
        event = f"{self._instance}-{self._counter}"
        try:
            wait_ms = await self._script(keys=[f"{self._prefix}rate:{key}"], args=[int(self.window * 1000), self.limit,
                                                                                  event])
        except Exception as exc:
            logger.warning("shared rate limit unavailable (%s); counting in this worker", type(exc).__name__)
            return await super().acquire(key)
        return int(wait_ms) / 1000

    async def aclose(self) -> None:
        try:
            await self._redis.aclose()
        finally:
            await super().aclose()


def create_rate_limiter(limit: int, window: float, redis_url: str = "", prefix: str = "handoff:") -> RateLimiter:
    """Shared through Redis when Redis is configured, otherwise per process."""
    return RedisRateLimiter(redis_url, limit, window, prefix) if redis_url else RateLimiter(limit, window)
