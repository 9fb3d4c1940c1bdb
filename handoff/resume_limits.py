"""How often a case reference may be tried: per client (web address or SMS number) and per reference.

Each try is counted as it is made, before the reference is checked, so tries sent at the same time from many
conversations cannot slip past the limit together. Counted in Redis (every worker together) when REDIS_URL is
set, otherwise in this process; if Redis is away, this worker's own count holds.
"""

from __future__ import annotations

import logging

from limits import RateLimitItem, parse_many
from limits.aio.storage import MemoryStorage, RedisStorage
from limits.aio.strategies import MovingWindowRateLimiter

logger = logging.getLogger(__name__)


class ResumeLimits:
    """Tries at coming back with a reference: ``attempt`` counts one and says whether it may be checked."""

    def __init__(self, per_client: str, per_reference: str, redis_url: str = "", prefix: str = "handoff:") -> None:
        self.per_client: list[RateLimitItem] = parse_many(per_client)
        self.per_reference: list[RateLimitItem] = parse_many(per_reference)
        self._here = MovingWindowRateLimiter(MemoryStorage())
        self._shared: MovingWindowRateLimiter | None = None
        if redis_url:
            storage = RedisStorage("async+" + redis_url, implementation="redispy", key_prefix=f"{prefix}resume",
                                   socket_connect_timeout=2, socket_timeout=2)
            self._shared = MovingWindowRateLimiter(storage)

    async def attempt(self, *, client: str, reference: str) -> bool:
        """Count a try for this client and this reference; False once either has used its budget."""
        budgets = ([(item, "client", client) for item in self.per_client]
                   + [(item, "reference", reference) for item in self.per_reference])
        for item, kind, key in budgets:
            if not await self._hit(item, kind, key):
                return False
        return True

    async def _hit(self, item: RateLimitItem, kind: str, key: str) -> bool:
        if self._shared is not None:
            try:
                return await self._shared.hit(item, kind, key)
            except Exception as exc:
                logger.warning("shared resume limit unavailable (%s); counting in this worker", type(exc).__name__)
        return await self._here.hit(item, kind, key)
