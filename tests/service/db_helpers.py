"""Direct database access for tests: set up states and read back what the service stored."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import select

from handoff.conversations import states
from handoff.conversations.enums import Owner
from handoff.conversations.models import Conversation, ConversationEvent, Message
from handoff.core.db import create_engine, create_sessionmaker


def run_db(settings, fn) -> Any:
    """Run ``fn(db_session)`` against the test database."""

    async def go():
        engine = create_engine(settings.async_database_url)
        try:
            async with create_sessionmaker(engine)() as db:
                return await fn(db)
        finally:
            await engine.dispose()

    return asyncio.run(go())


def move_to(settings, path: list[Owner], actor: str = "test") -> None:
    """Walk the only conversation through the given owners."""

    async def go(db):
        conversation = await db.scalar(select(Conversation))
        for owner in path:
            await states.transition(db_session=db, conversation=conversation, to=owner, actor=actor)

    run_db(settings, go)


def conversation_row(settings) -> Conversation:
    return run_db(settings, lambda db: db.scalar(select(Conversation)))


def messages(settings) -> list[Message]:
    async def go(db):
        return list(await db.scalars(select(Message).order_by(Message.seq)))

    return run_db(settings, go)


def events(settings) -> list[ConversationEvent]:
    async def go(db):
        return list(await db.scalars(select(ConversationEvent).order_by(ConversationEvent.id)))

    return run_db(settings, go)
