"""Rasa's copy of a conversation (its tracker), wherever Rasa keeps it, and deleting it."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from sqlalchemy import bindparam, text

from handoff.core.config import Settings
from handoff.core.db import create_engine

logger = logging.getLogger(__name__)

# Rasa's defaults: RedisTrackerStore keys are "[<prefix>:]tracker:<sender id>"; SQLTrackerStore has an "events" table.
REDIS_KEY = "tracker:"
SQL_TABLE = "events"
IN_MEMORY_NOTE = (
    "Rasa is using its in-memory tracker store (development): it keeps its copy of {what} until it restarts."
)

_ASYNC_DRIVERS = (
    ("sqlite:///", "sqlite+aiosqlite:///"),
    ("postgresql://", "postgresql+asyncpg://"),
    ("postgres://", "postgresql+asyncpg://"),
)


@dataclass
class TrackerStore:
    """Deletes trackers by sender id (the conversation's public id, as handoff/assistant/client.py sends it)."""

    url: str = ""
    key_prefix: str = ""

    @classmethod
    def from_settings(cls, settings: Settings) -> TrackerStore:
        return cls(settings.rasa_tracker_store_url.strip(), settings.rasa_tracker_key_prefix.strip())

    @property
    def persistent(self) -> bool:
        return bool(self.url)

    @property
    def kind(self) -> str:
        if not self.url:
            return "in-memory"
        return "Redis" if self.url.startswith(("redis://", "rediss://", "unix://")) else "SQL"

    def redis_key(self, sender_id: str) -> str:
        return (f"{self.key_prefix}:{REDIS_KEY}" if self.key_prefix else REDIS_KEY) + sender_id

    async def forget(self, sender_ids: list[str]) -> int:
        """Delete these senders' trackers; how many were there. Nothing to do for the in-memory store."""
        if not sender_ids or not self.url:
            return 0
        if self.kind == "Redis":
            return await self._forget_redis(sender_ids)
        return await self._forget_sql(sender_ids)

    async def _forget_redis(self, sender_ids: list[str]) -> int:
        from redis.asyncio import from_url

        client = from_url(self.url)
        try:
            return int(await client.delete(*[self.redis_key(s) for s in sender_ids]))
        finally:
            await client.aclose()

    async def _forget_sql(self, sender_ids: list[str]) -> int:
        url = self.url
        for prefix, driver in _ASYNC_DRIVERS:
            if url.startswith(prefix):
                url = driver + url[len(prefix):]
        engine = create_engine(url)
        try:
            async with engine.begin() as connection:
                statement = text(f"DELETE FROM {SQL_TABLE} WHERE sender_id IN :ids").bindparams(  # noqa: S608
                    bindparam("ids", expanding=True)
                )
                result = await connection.execute(statement, {"ids": list(sender_ids)})
                return int(result.rowcount or 0)
        finally:
            await engine.dispose()

    async def forget_and_describe(self, sender_ids: list[str], what: str = "these conversations") -> str:
        """Delete the trackers and say, in a sentence for the operator, what happened to Rasa's copy."""
        if not sender_ids:
            return "Rasa: no conversation to forget."
        if not self.persistent:
            return IN_MEMORY_NOTE.format(what=what)
        try:
            found = await self.forget(sender_ids)
        except Exception as exc:  # the store's error type only: never ids or content
            logger.warning("could not delete assistant trackers: %s", type(exc).__name__)
            return (f"Rasa: the {self.kind} tracker store could not be reached ({type(exc).__name__}); its copy is "
                    "still there. Run the command again when it is back.")
        return f"Rasa: deleted {found} tracker{'s' if found != 1 else ''} from its {self.kind} tracker store."


async def forget_after_turn(lock: asyncio.Lock, store: TrackerStore, sender_id: str, grace: float) -> None:
    """Delete a tracker once the assistant's current turn is over (Rasa saves the tracker again at its end).

    The turn that asked for the deletion holds ``lock``; another worker's turn can only be waited for by time,
    so the tracker is deleted again after ``grace`` seconds.
    """
    async with lock:
        pass
    await store.forget([sender_id])
    await asyncio.sleep(grace)
    await store.forget([sender_id])
