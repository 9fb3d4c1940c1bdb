"""How often a wrong case reference may be tried: per client (web address or SMS number) and per reference.

Only failures count, so a student who gets it right is never slowed down. Counted in Redis (every worker
together) when REDIS_URL is set, otherwise in this process; if Redis is away, this worker's own count holds.
"""

from __future__ import annotations

import logging

from limits import RateLimitItem, parse_many
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter

logger = logging.getLogger(__name__)


class ResumeLimits:
    """Failed attempts at coming back with a reference: ``allowed`` before checking, ``failed`` after a miss."""

    def __init__(self, per_client: str, per_reference: str, redis_url: str = "", prefix: str = "handoff:") -> None:
        self.per_client: list[RateLimitItem] = parse_many(per_client)
        self.per_reference: list[RateLimitItem] = parse_many(per_reference)
        self._here = MovingWindowRateLimiter(MemoryStorage())
        self._storage: Storage | None = None
        self._shared: MovingWindowRateLimiter | None = None
        if redis_url:
            self._storage = RedisStorage("async+" + redis_url, implementation="redispy",
                                         key_prefix=f"{prefix}resume", socket_connect_timeout=2, socket_timeout=2)
            self._shared = MovingWindowRateLimiter(self._storage)

    def _budgets(self, client: str, reference: str) -> list[tuple[RateLimitItem, str, str]]:
        return ([(item, "client", client) for item in self.per_client]
                + [(item, "reference", reference) for item in self.per_reference])

    async def allowed(self, *, client: str, reference: str) -> bool:
        """Whether another attempt may be checked for this client and this reference."""
        for item, kind, key in self._budgets(client, reference):
            if not await self._call("test", item, kind, key):
                return False
        return True

    async def failed(self, *, client: str, reference: str) -> None:
        """Count a wrong attempt against both the client and the reference tried."""
        for item, kind, key in self._budgets(client, reference):
            await self._call("hit", item, kind, key)

    async def _call(self, method: str, item: RateLimitItem, kind: str, key: str) -> bool:
        if self._shared is not None:
            try:
                result: bool = await getattr(self._shared, method)(item, kind, key)
                await getattr(self._here, method)(item, kind, key)  # kept in step, for when Redis is away
                return result
            except Exception as exc:
                logger.warning("shared resume limit unavailable (%s); counting in this worker", type(exc).__name__)
        here: bool = await getattr(self._here, method)(item, kind, key)
        return here

    async def aclose(self) -> None:
        """Nothing to release: the storages close their connections when collected."""
