"""Plain database functions for conversations and messages."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from handoff.conversations.enums import Channel, Direction
from handoff.conversations.models import Conversation, Message
from handoff.conversations.store import Draft, store_messages
from handoff.core.security import new_token, token_hash


async def create(*, db_session: AsyncSession, channel: Channel, institution_id: str) -> tuple[Conversation, str]:
    """A new conversation and the secret token that lets its student resume it."""
    token = new_token()
    conversation = Conversation(
        public_id=new_token(12)[:16],
        token_hash=token_hash(token),
        channel=channel,
        institution_id=institution_id,
        risk_flags=[],
    )
    db_session.add(conversation)
    await db_session.commit()
    return conversation, token


async def get_by_token(*, db_session: AsyncSession, token: str) -> Conversation | None:
    """The conversation a resume token belongs to, if any."""
    if not token or len(token) > 128:
        return None
    return await db_session.scalar(select(Conversation).where(Conversation.token_hash == token_hash(token)))


async def get_by_public_id(*, db_session: AsyncSession, public_id: str) -> Conversation | None:
    """The conversation with this public id, if any."""
    return await db_session.scalar(select(Conversation).where(Conversation.public_id == public_id))


async def get_by_client_message_id(
    *, db_session: AsyncSession, conversation_id: int, client_message_id: str
) -> Message | None:
    """A message already received with this client id (a resend after a reconnect)."""
    return await db_session.scalar(
        select(Message).where(
            Message.conversation_id == conversation_id, Message.client_message_id == client_message_id
        )
    )


async def append_message(
    *,
    db_session: AsyncSession,
    conversation_id: int,
    direction: Direction,
    text: str,
    client_message_id: str | None = None,
    channel_message_id: str | None = None,
    extra: dict[str, Any] | None = None,
    commit: bool = True,
) -> Message:
    """Store a message at the next position of its conversation and commit (``commit=False``: in the caller's
    transaction, which commits it)."""
    stored = await store_messages(
        connection=await db_session.connection(), conversation_id=conversation_id, direction=direction,
        drafts=[Draft(text, extra, client_message_id, channel_message_id)],
    )
    if stored is None:
        raise LookupError("conversation not found")
    if commit:
        await db_session.commit()
    return stored.messages[0]


async def messages_after(*, db_session: AsyncSession, conversation_id: int, after_seq: int = 0) -> list[Message]:
    """The conversation's messages after a position, in order."""
    result = await db_session.scalars(
        select(Message)
        .where(Message.conversation_id == conversation_id, Message.seq > after_seq)
        .order_by(Message.seq)
    )
    return list(result)
