"""Writing messages: the one database write on every turn, twice per message a student sends.

Storing messages takes the conversation's next positions and inserts the rows in one atomic step. On PostgreSQL
that is one statement (the positions come from a data-modifying CTE, the rows from arrays), so it needs neither a
transaction of its own nor more than one round trip, however many messages; on SQLite it is a few statements in
a transaction.

On PostgreSQL the turn's writes also skip SQLAlchemy's async layer: ``PostgresMessageStore`` runs the statements
SQLAlchemy compiles from the models, with SQLAlchemy's own processing of each parameter (encryption included), on
a small asyncpg pool of its own. Each call through the async layer costs a greenlet and, on a machine that was
idle a moment before, about a millisecond; that was most of the time a message spent in the service.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple, cast

import asyncpg
from sqlalchemy import Insert, Integer, Select, Table, Update, bindparam, func, insert, or_, select, true, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql.asyncpg import PGDialect_asyncpg
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from handoff.conversations.enums import Direction, Owner
from handoff.conversations.models import Conversation, Message
from handoff.core.db import utcnow

# Who may hold the conversation while the assistant's words are added: not an officer, and not once it is closed.
ASSISTANT_MAY_SPEAK = (Owner.bot, Owner.waiting)
POOL_SIZE = 5  # connections of the PostgreSQL store, per worker: each write holds one for about a millisecond


class Draft(NamedTuple):
    """A message to store."""

    text: str
    extra: dict[str, Any] | None = None
    client_message_id: str | None = None
    channel_message_id: str | None = None


class Stored(NamedTuple):
    messages: list[Message]
    owner: Owner  # who held the conversation when the messages were stored


class DuplicateMessage(Exception):
    """The conversation already has a message with this client or channel message id (a resend)."""


# Bound names start with "p_": a parameter named like a column would be added to an UPDATE's SET clause.
_CONVERSATIONS = cast(Table, Conversation.__table__)
_MESSAGES = cast(Table, Message.__table__)
_PER_MESSAGE = ("text", "extra", "client_message_id", "channel_message_id")


def _next_seq(assistant_turn: bool) -> Update:
    condition = _CONVERSATIONS.c.id == bindparam("p_conversation_id")
    if assistant_turn:
        condition &= or_(*(_CONVERSATIONS.c.owner == owner for owner in ASSISTANT_MAY_SPEAK))
    return (update(_CONVERSATIONS).where(condition)
            .values(last_seq=_CONVERSATIONS.c.last_seq + bindparam("p_count", type_=Integer),
                    updated_at=bindparam("p_created_at"))
            .returning(_CONVERSATIONS.c.last_seq, _CONVERSATIONS.c.owner))


def _store_in_one_statement(assistant_turn: bool) -> Insert:
    position = _next_seq(assistant_turn).cte("next_seq")
    rows = func.unnest(*(bindparam(f"p_{name}", type_=ARRAY(_MESSAGES.c[name].type)) for name in _PER_MESSAGE)) \
        .table_valued(*_PER_MESSAGE, with_ordinality="ord").render_derived()
    values = select(
        bindparam("p_conversation_id", type_=Integer),
        position.c.last_seq - bindparam("p_count", type_=Integer) + rows.c.ord,
        bindparam("p_direction", type_=_MESSAGES.c.direction.type),
        *(rows.c[name] for name in _PER_MESSAGE),
        bindparam("p_created_at", type_=_MESSAGES.c.created_at.type),
    ).select_from(position.join(rows, true()))
    columns = ["conversation_id", "seq", "direction", *_PER_MESSAGE, "created_at"]
    return (insert(_MESSAGES).from_select(columns, values)
            .returning(_MESSAGES.c.id, _MESSAGES.c.seq, select(position.c.owner).scalar_subquery()))


_STORE = {turn: _store_in_one_statement(turn) for turn in (False, True)}
_NEXT_SEQ = {turn: _next_seq(turn) for turn in (False, True)}
_INSERT = insert(_MESSAGES).returning(_MESSAGES.c.id)
_OWNER: Select[tuple[Owner]] = select(_CONVERSATIONS.c.owner).where(
    _CONVERSATIONS.c.id == bindparam("p_conversation_id"))


def _parameters(conversation_id: int, direction: Direction, drafts: Sequence[Draft], now: datetime) -> dict[str, Any]:
    """The parameters of the one-statement store (PostgreSQL)."""
    return {
        "p_conversation_id": conversation_id, "p_count": len(drafts), "p_created_at": now, "p_direction": direction,
        "p_text": [d.text for d in drafts], "p_extra": [d.extra or {} for d in drafts],
        "p_client_message_id": [d.client_message_id for d in drafts],
        "p_channel_message_id": [d.channel_message_id for d in drafts],
    }


def _from_rows(conversation_id: int, direction: Direction, drafts: Sequence[Draft], now: datetime,
               rows: Sequence[Sequence[Any]]) -> Stored | None:
    """What the one-statement store returned (id, seq, owner per row, in any order); None for no rows."""
    if not rows:
        return None
    ordered = sorted(rows, key=lambda row: row[1])
    return _stored(conversation_id, direction, drafts, now, [row[0] for row in ordered], ordered[0][1], ordered[0][2])


def _stored(conversation_id: int, direction: Direction, drafts: Sequence[Draft], now: datetime,
            ids: list[int], first: int, owner: str | Owner) -> Stored:
    messages = [
        Message(id=message_id, conversation_id=conversation_id, seq=first + i, direction=direction, text=draft.text,
                extra=draft.extra or {}, client_message_id=draft.client_message_id,
                channel_message_id=draft.channel_message_id, created_at=now)
        for i, (message_id, draft) in enumerate(zip(ids, drafts, strict=True))
    ]
    return Stored(messages, Owner(owner))


async def store_messages(
    *, connection: AsyncConnection, conversation_id: int, direction: Direction, drafts: Sequence[Draft],
    assistant_turn: bool = False,
) -> Stored | None:
    """Store messages at the next positions of their conversation, in order, on a SQLAlchemy connection (in the
    caller's transaction, not committed).

    Also says who held the conversation at that moment. None when the conversation is gone, or, for
    ``assistant_turn``, when an officer holds it or it is closed (the assistant stays silent once a person has
    taken over, even if its answer was already on the way). Raises IntegrityError for a client or channel message
    id the conversation already has.
    """
    now = utcnow()
    if connection.dialect.name == "postgresql":
        result = await connection.execute(_STORE[assistant_turn], _parameters(conversation_id, direction, drafts, now))
        return _from_rows(conversation_id, direction, drafts, now, result.all())
    position = (await connection.execute(_NEXT_SEQ[assistant_turn], {
        "p_conversation_id": conversation_id, "p_count": len(drafts), "p_created_at": now})).first()
    if position is None:
        return None
    first = position[0] - len(drafts) + 1
    ids = [await connection.scalar(_INSERT, {**draft._asdict(), "extra": draft.extra or {}, "seq": first + i,
                                            "conversation_id": conversation_id, "direction": direction,
                                            "created_at": now})
           for i, draft in enumerate(drafts)]
    return _stored(conversation_id, direction, drafts, now, ids, first, position[1])


class MessageStore:
    """Stores the messages of a turn, each call in a transaction of its own, through SQLAlchemy (SQLite)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def store(self, *, conversation_id: int, direction: Direction, drafts: Sequence[Draft],
                    assistant_turn: bool = False) -> Stored | None:
        """As ``store_messages``, committed; raises DuplicateMessage for a resend."""
        try:
            async with self._engine.begin() as connection:
                return await store_messages(connection=connection, conversation_id=conversation_id,
                                            direction=direction, drafts=drafts, assistant_turn=assistant_turn)
        except IntegrityError as exc:
            raise DuplicateMessage from exc

    async def owner_of(self, conversation_id: int) -> Owner | None:
        """Who holds the conversation now (None if it is gone)."""
        async with self._engine.connect() as connection:
            return await connection.scalar(_OWNER, {"p_conversation_id": conversation_id})

    async def aclose(self) -> None:
        """Nothing of its own to close: the engine's pool is the app's."""


class _Compiled:
    """A statement compiled once for asyncpg, each parameter processed by its SQLAlchemy type."""

    def __init__(self, statement: Any, dialect: Dialect) -> None:
        compiled = statement.compile(dialect=dialect)
        self.sql = compiled.string
        self._compiled = compiled
        self._names = list(compiled.positiontup or ())
        self._processors = [compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect)
                            for name in self._names]

    def arguments(self, parameters: dict[str, Any]) -> list[Any]:
        values = self._compiled.construct_params(parameters)
        return [process(values[name]) if process else values[name]
                for name, process in zip(self._names, self._processors, strict=True)]


class PostgresMessageStore(MessageStore):
    """The same statements on PostgreSQL, run on an asyncpg pool of the store's own (see the module's notes).

    The pool connects on first use, so the service starts while the database is away. asyncpg drops a connection
    the server closed (a restart) as soon as it notices, and the pool opens a new one in its place.
    """

    def __init__(self, engine: AsyncEngine, *, size: int = POOL_SIZE) -> None:
        super().__init__(engine)
        # The engine's own translation of DATABASE_URL (host, user, ssl=... and so on), minus what only
        # SQLAlchemy's adapter reads.
        _, self._connect_args = engine.dialect.create_connect_args(engine.url)
        for adapter_only in ("prepared_statement_cache_size", "prepared_statement_name_func", "async_fallback"):
            self._connect_args.pop(adapter_only, None)
        self._size = size
        self._pool: asyncpg.Pool | None = None
        self._opening = asyncio.Lock()
        dialect = PGDialect_asyncpg()
        self._store = {turn: _Compiled(statement, dialect) for turn, statement in _STORE.items()}
        self._owner = _Compiled(_OWNER, dialect)

    async def _connections(self) -> asyncpg.Pool:
        if self._pool is None:
            async with self._opening:
                if self._pool is None:
                    self._pool = await asyncpg.create_pool(min_size=1, max_size=self._size, command_timeout=15,
                                                           **self._connect_args)
        return self._pool

    async def store(self, *, conversation_id: int, direction: Direction, drafts: Sequence[Draft],
                    assistant_turn: bool = False) -> Stored | None:
        now = utcnow()
        statement = self._store[assistant_turn]
        arguments = statement.arguments(_parameters(conversation_id, direction, drafts, now))
        pool = await self._connections()
        try:
            rows = await pool.fetch(statement.sql, *arguments)
        except asyncpg.UniqueViolationError as exc:
            raise DuplicateMessage from exc
        return _from_rows(conversation_id, direction, drafts, now, rows)

    async def owner_of(self, conversation_id: int) -> Owner | None:
        pool = await self._connections()
        owner = await pool.fetchval(self._owner.sql, *self._owner.arguments({"p_conversation_id": conversation_id}))
        return None if owner is None else Owner(owner)

    async def aclose(self) -> None:
        if self._pool is not None:
            try:
                await asyncio.wait_for(self._pool.close(), timeout=10)
            except (asyncio.TimeoutError, OSError, asyncpg.PostgresError):
                with contextlib.suppress(Exception):
                    self._pool.terminate()
            self._pool = None


def create_message_store(engine: AsyncEngine) -> MessageStore:
    """The PostgreSQL store when the service runs on PostgreSQL, otherwise the SQLAlchemy one."""
    return PostgresMessageStore(engine) if engine.dialect.name == "postgresql" else MessageStore(engine)
