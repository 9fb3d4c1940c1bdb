"""What the app holds for its lifetime: settings, database, the assistant client, the hub, shared state."""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from handoff.assistant.client import RasaClient
from handoff.clientlimits import ClientLimits
from handoff.conversations.store import MessageStore
from handoff.core.config import Settings
from handoff.core.crypto import Vault
from handoff.core.twilio import SmsSender
from handoff.ratelimit import RateLimiter
from handoff.realtime import Claims, Hub, Presence
from handoff.resume_limits import ResumeLimits
from handoff.turns import Turns
from safety.verdict import SafetyCheck

if TYPE_CHECKING:
    from handoff.conversations.enums import Channel
    from handoff.conversations.models import Conversation, Message

logger = logging.getLogger(__name__)
T = TypeVar("T")
# A channel that sends its own messages (SMS: Twilio's REST API) is handed each message stored for the student
# outside a turn (an officer's words, a notice); it returns how many it sent. The channel registers itself at
# start-up (handoff.main), so the flows that store such messages never import a channel.
Deliver = Callable[["AppContext", "Conversation", "list[Message]"], Coroutine[Any, Any, int]]


@dataclass
class AppContext:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    messages: MessageStore  # the turn's writes (PostgreSQL: a small asyncpg pool of its own)
    rasa: RasaClient
    hub: Hub
    risk: SafetyCheck  # one verdict per inbound message, passed on to the assistant
    vault: Vault
    rate_limiter: RateLimiter
    client_limits: ClientLimits  # new conversations, open sockets and refusal audits per client
    # channel -> how it sends a stored message; no default, so an app built without SMS's cannot start by mistake
    deliveries: dict[Channel, Deliver]
    sms: SmsSender | None = None
    presence: Presence = field(default_factory=Presence)  # officers with a console open (shared with Redis)
    claims: Claims = field(default_factory=Claims)  # one worker at a time for periodic work
    turns: Turns = field(default_factory=Turns)  # conversations the assistant is answering now (shared with Redis)
    resume_limits: ResumeLimits = field(  # tries at coming back with a case reference (shared with Redis)
        default_factory=lambda: ResumeLimits("5/15 minutes;20/day", "5/day;15/month"))
    _locks: weakref.WeakValueDictionary[str, asyncio.Lock] = field(default_factory=weakref.WeakValueDictionary)
    _background: set[asyncio.Task[Any]] = field(default_factory=set)

    def spawn(self, coro: Coroutine[Any, Any, T]) -> asyncio.Task[T]:
        """Run work that must finish even if the client that caused it goes away."""
        task = asyncio.get_running_loop().create_task(coro)
        self._background.add(task)
        task.add_done_callback(self._finished)
        return task

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self._background.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.error("background work failed: %s", type(task.exception()).__name__)

    def conversation_lock(self, public_id: str) -> asyncio.Lock:
        """Serialises the assistant's turns within one conversation, in this worker.

        A conversation's turns run on the worker its socket is on; across workers the Rasa lock store
        keeps the assistant's turns in order.
        """
        lock = self._locks.get(public_id)
        if lock is None:
            lock = self._locks[public_id] = asyncio.Lock()
        return lock

    async def aclose(self) -> None:
        if self._background:
            await asyncio.wait(self._background, timeout=self.settings.rasa_timeout + 2)
        await self.rasa.aclose()
        await self.hub.aclose()
        await self.presence.aclose()
        await self.claims.aclose()
        await self.turns.aclose()
        await self.rate_limiter.aclose()
        await self.client_limits.aclose()
        await self.messages.aclose()
        await self.engine.dispose()
