"""What happens to a student's message: store, check, route, reply."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from handoff.content import asks_for_person, service_message
from handoff.context import AppContext
from handoff.conversations import service
from handoff.conversations.enums import Direction, Owner
from handoff.conversations.events import message_event, typing_event
from handoff.conversations.models import Conversation, Message
from handoff.rasa_client import RasaUnavailable, Reply
from handoff.realtime import conversation_topic
from safety.responses import safety_response
from safety.risk import RiskAssessment

logger = logging.getLogger(__name__)
QUEUE_TOPIC = "queue"


@dataclass
class Received:
    message: Message
    duplicate: bool
    risk: RiskAssessment | None = None


async def receive(
    ctx: AppContext, conversation: Conversation, text: str, *, client_message_id: str | None = None,
    channel_message_id: str | None = None, payload: str | None = None,
) -> Received:
    """Store a student's message once (a resend returns the stored one), check it for risk, announce it.

    A quick reply is stored as the words the student saw; its payload is what the assistant receives.
    """
    async with ctx.sessions() as db:
        if client_message_id:
            existing = await service.get_by_client_message_id(
                db_session=db, conversation_id=conversation.id, client_message_id=client_message_id
            )
            if existing is not None:
                return Received(existing, duplicate=True)
        risk = ctx.risk.classify(text)
        extra: dict[str, object] = {}
        if risk.flagged:
            extra["risk"] = sorted(risk.labels)
        if payload:
            extra["payload"] = payload
        try:
            message = await service.append_message(
                db_session=db, conversation_id=conversation.id, direction=Direction.user, text=text,
                client_message_id=client_message_id, channel_message_id=channel_message_id,
                extra=extra or None,
            )
        except IntegrityError:  # the same message arrived twice at once: the other copy was stored
            await db.rollback()
            existing = await service.get_by_client_message_id(
                db_session=db, conversation_id=conversation.id, client_message_id=client_message_id or ""
            )
            if existing is None:
                raise
            return Received(existing, duplicate=True)
        if risk.flagged:
            await _raise_risk(db, conversation, risk)
    await ctx.hub.publish(conversation_topic(conversation.public_id), message_event(message))
    if risk.flagged:
        # Only the labels travel: the console shows the flag and re-orders its queue.
        await ctx.hub.publish(QUEUE_TOPIC, {
            "type": "risk", "conversation": conversation.public_id, "labels": sorted(risk.labels),
            "risk_level": conversation.risk_level,
        })
    return Received(message, duplicate=False, risk=risk)


async def _raise_risk(db: AsyncSession, conversation: Conversation, risk: RiskAssessment) -> None:
    flags = sorted(set(conversation.risk_flags or []) | risk.labels)
    level = max(conversation.risk_level, risk.severity)
    await db.execute(
        update(Conversation).where(Conversation.id == conversation.id).values(risk_level=level, risk_flags=flags)
    )
    await db.commit()
    conversation.risk_level, conversation.risk_flags = level, flags


async def respond(ctx: AppContext, conversation: Conversation, received: Received) -> list[Message]:
    """Route a stored message: to the assistant while it holds the conversation, otherwise to people.

    Whoever holds the conversation, a message that shows risk gets the safety response at once unless
    an officer is already talking with the student.
    """
    topic = conversation_topic(conversation.public_id)
    risk = received.risk
    # Taken before anything else so that turns of one conversation keep their order.
    async with ctx.conversation_lock(conversation.public_id):
        async with ctx.sessions() as db:
            current = await service.get_by_public_id(db_session=db, public_id=conversation.public_id)
        if current is None or current.owner in (Owner.human, Owner.closed):
            return []
        replies: list[Reply]
        if current.owner == Owner.waiting:
            replies = _safety_replies(risk, conversation) if risk and risk.flagged else []
        else:
            await ctx.hub.publish(topic, typing_event(True))
            try:
                replies = await ctx.rasa.send(
                    channel=conversation.channel.value, sender=conversation.public_id,
                    text=(received.message.extra or {}).get("payload") or received.message.text,
                    metadata={"institution_id": conversation.institution_id},
                )
            except RasaUnavailable:
                payload = (received.message.extra or {}).get("payload")
                if asks_for_person(received.message.text, payload):
                    replies = await _person_without_assistant(ctx, conversation, received.message)
                else:
                    replies = []
                if risk and risk.flagged:
                    replies = _safety_replies(risk, conversation) + replies
                elif not replies:
                    replies = [Reply(text=service_message("assistant_unavailable", conversation.channel.value))]
            finally:
                await ctx.hub.publish(topic, typing_event(False))
        return await _deliver(ctx, conversation, replies)


async def _person_without_assistant(ctx: AppContext, conversation: Conversation, message: Message) -> list[Reply]:
    """The assistant is down and the student asked for a person: the service opens the case itself.

    Without the assistant there is no one to ask about sharing the conversation so far, so it is not shared.
    """
    from handoff.cases.enums import Goal
    from handoff.cases.flows import request_handoff

    outcome = await request_handoff(
        ctx, conversation, request_id=f"service:{conversation.public_id}:{message.seq}", goal=Goal.talk,
        share_transcript=False, anonymous=True,
    )
    channel = conversation.channel.value
    if outcome.position is not None:
        text = service_message("queued_without_assistant", channel, reference=outcome.case.reference,
                               position=outcome.position)
    else:
        team = outcome.availability
        when = f"they are back on {team.next_open_words()}" if team.next_open else "no officer is free just now"
        text = service_message("team_away_without_assistant", channel, reference=outcome.case.reference, when=when)
    return [Reply(text=text)]


def _safety_replies(risk: RiskAssessment, conversation: Conversation) -> list[Reply]:
    kind = "sms" if conversation.channel.value == "sms" else "web"
    return [Reply(text=text) for text in safety_response(sorted(risk.labels), kind)]


async def _deliver(ctx: AppContext, conversation: Conversation, replies: list[Reply]) -> list[Message]:
    stored = []
    topic = conversation_topic(conversation.public_id)
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
