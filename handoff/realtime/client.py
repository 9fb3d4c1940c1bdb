"""A Redis client for the state several workers share (events, presence, claims, limits)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from redis.asyncio import Redis


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
