"""Limits per client: new conversations per address (web chat) and per number (SMS), open sockets per address
and per worker, and audit rows for anonymous refusals per address.

The counting is the ``limits`` library's moving window: in Redis when REDIS_URL is set (one budget for every
worker), in this process otherwise, or while Redis cannot be reached. Keys are keyed hashes, never an address
or a phone number as such. Open sockets are counted per worker: a socket lives on one worker.
"""

from __future__ import annotations

import logging
import math
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from limits import RateLimitItem, parse_many
from limits.aio.storage import MemoryStorage, RedisStorage
from limits.aio.strategies import MovingWindowRateLimiter

from handoff.core.config import Settings

logger = logging.getLogger(__name__)

# Close codes for a chat socket the service ends itself (docs/webchat-protocol.md).
CLOSE_TRY_LATER = 1013  # too many sockets from this address, or on this worker
CLOSE_NO_HELLO = 4408  # no hello within HELLO_TIMEOUT seconds
CLOSE_TOO_MANY_CONVERSATIONS = 4429  # new conversations from this address over the limit


@dataclass(frozen=True)
class Refusal:
    """Why a socket or a new conversation was refused, and when to try again (seconds)."""

    code: str
    retry_after: int


class ClientLimits:
    def __init__(self, settings: Settings, key: Callable[[str], str]) -> None:
        self._key = key  # a keyed hash: what reaches Redis or memory is never the address or number itself
        self._per_address = parse_many(settings.new_conversations_per_address)
        self._per_number = parse_many(settings.new_conversations_per_number)
        self._refusal_audits = parse_many(settings.refusal_audits_per_address)
        self._local = MovingWindowRateLimiter(MemoryStorage())
        self._shared: MovingWindowRateLimiter | None = None
        if settings.redis_url:
            storage = RedisStorage("async+" + settings.redis_url, implementation="redispy",
                                   key_prefix=settings.redis_prefix + "limits", wrap_exceptions=True,
                                   socket_connect_timeout=2, socket_timeout=2)
            self._shared = MovingWindowRateLimiter(storage)
        self.max_sockets_per_address = settings.max_sockets_per_address
        self.max_sockets_per_worker = settings.max_sockets_per_worker
        self._sockets: Counter[str] = Counter()
        self.audits_skipped: Counter[str] = Counter()  # anonymous refusals not written, per address, since the last

    async def _take(self, items: list[RateLimitItem], *names: str) -> int:
        """Count one event against every limit: 0 when all allow it, else the seconds until they would."""
        for limiter in ([self._shared] if self._shared else []) + [self._local]:
            try:
                for item in items:
                    if not await limiter.test(item, *names):
                        stats = await limiter.get_window_stats(item, *names)
                        return max(1, math.ceil(stats.reset_time - time.time()))
                for item in items:
                    await limiter.hit(item, *names)
                return 0
            except Exception as exc:  # Redis away: count in this worker, as the per-conversation limit does
                logger.warning("shared client limits unavailable (%s); counting in this worker", type(exc).__name__)
        return 0

    async def new_conversation(self, *, address: str | None = None, number: str | None = None) -> Refusal | None:
        """Count a new conversation from a web address or an SMS number; a Refusal when over the limit."""
        if number is not None:
            wait = await self._take(self._per_number, "sms", self._key(number))
        else:
            wait = await self._take(self._per_address, "chat", self._key(address or "unknown"))
        return Refusal("too_many_conversations", wait) if wait else None

    async def audit_refusal(self, address: str | None) -> bool:
        """True when an anonymous refusal from this address should be written to the audit log now."""
        key = address or "unknown"
        if await self._take(self._refusal_audits, "audit", self._key(key)):
            if not self.audits_skipped[key]:
                logger.warning("anonymous refusals from one address over the audit limit; counting, not writing")
            self.audits_skipped[key] += 1
            return False
        return True

    def open_socket(self, address: str | None) -> Refusal | None:
        """Count an open socket from this address on this worker, or say why not (nothing is counted then)."""
        key = address or "unknown"
        if sum(self._sockets.values()) >= self.max_sockets_per_worker:
            return Refusal("server_busy", 5)
        if self._sockets[key] >= self.max_sockets_per_address:
            return Refusal("too_many_connections", 30)
        self._sockets[key] += 1
        return None

    def close_socket(self, address: str | None) -> None:
        key = address or "unknown"
        self._sockets[key] -= 1
        if self._sockets[key] <= 0:
            del self._sockets[key]

    async def aclose(self) -> None:
        if self._shared is not None:
            try:
                await self._shared.storage.bridge.storage.aclose()  # type: ignore[attr-defined]
            except Exception as exc:  # closing at shutdown only
                logger.debug("closing the limits storage: %s", type(exc).__name__)
