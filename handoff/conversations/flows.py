"""What happens to a student's message: store, check, route, reply."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from handoff.content import service_message
from handoff.context import AppContext
from handoff.conversations import service
from handoff.conversations.enums import Direction, Owner
from handoff.conversations.events import message_event, typing_event
from handoff.conversations.models import Conversation, Message
from handoff.rasa_client import RasaUnavailable, Reply
from handoff.realtime import conversation_topic

logger = logging.getLogger(__name__)


@dataclass
class Received:
    message: Message
    duplicate: bool


async def receive(
    ctx: AppContext, conversation: Conversation, text: str, *, client_message_id: str | None = None,
    channel_message_id: str | None = None,
) -> Received:
    """Store a student's message once (a resend returns the stored one) and announce it."""
    async with ctx.sessions() as db:
        if client_message_id:
            existing = await service.get_by_client_message_id(
                db_session=db, conversation_id=conversation.id, client_message_id=client_message_id
            )
            if existing is not None:
                return Received(existing, duplicate=True)
        message = await service.append_message(
            db_session=db, conversation_id=conversation.id, direction=Direction.user, text=text,
            client_message_id=client_message_id, channel_message_id=channel_message_id,
        )
    await ctx.hub.publish(conversation_topic(conversation.public_id), message_event(message))
    return Received(message, duplicate=False)


async def respond(ctx: AppContext, conversation: Conversation, text: str) -> list[Message]:
    """Route a stored message: to the assistant while it holds the conversation, otherwise to people."""
    topic = conversation_topic(conversation.public_id)
    # Taken before anything else so that turns of one conversation keep their order.
    async with ctx.conversation_lock(conversation.public_id):
        async with ctx.sessions() as db:
            current = await service.get_by_public_id(db_session=db, public_id=conversation.public_id)
        if current is None or current.owner != Owner.bot:
            return []
        await ctx.hub.publish(topic, typing_event(True))
        try:
            replies = await ctx.rasa.send(
                channel=conversation.channel.value, sender=conversation.public_id, text=text,
                metadata={"institution_id": conversation.institution_id},
            )
        except RasaUnavailable:
            replies = [Reply(text=service_message("assistant_unavailable", conversation.channel.value))]
        finally:
            await ctx.hub.publish(topic, typing_event(False))
        stored = []
        async with ctx.sessions() as db:
            for reply in replies:
                if not reply.text and not reply.buttons:
                    continue
                message = await service.append_message(
                    db_session=db, conversation_id=conversation.id, direction=Direction.assistant,
                    text=reply.text, extra={"buttons": reply.buttons} if reply.buttons else None,
                )
                stored.append(message)
                await ctx.hub.publish(topic, message_event(message))
    return stored
