"""Phone contacts and outbound SMS: plain database functions plus the send path."""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from twilio.base.exceptions import TwilioRestException

from handoff.context import AppContext
from handoff.conversations import service as conversations
from handoff.conversations.enums import Channel, Direction
from handoff.conversations.models import Conversation, Message
from handoff.conversations.phones import SmsContact, SmsOutbound
from handoff.core.crypto import Vault
from safety.gsm import split_sms

logger = logging.getLogger(__name__)


async def get_or_create_contact(*, db_session: AsyncSession, vault: Vault, phone: str) -> SmsContact:
    """The contact for a number, found by its keyed hash; created (encrypted) on first contact."""
    phone_hash = vault.lookup_hash(phone)
    contact = await db_session.scalar(select(SmsContact).where(SmsContact.phone_hash == phone_hash))
    if contact is None:
        contact = SmsContact(phone_hash=phone_hash, phone_encrypted=vault.encrypt(phone), opted_out=False)
        db_session.add(contact)
        await db_session.commit()
    return contact


async def set_opted_out(*, db_session: AsyncSession, contact: SmsContact, opted_out: bool) -> None:
    """Record STOP (no more messages) or START."""
    contact.opted_out = opted_out
    await db_session.commit()


async def open_conversation(*, db_session: AsyncSession, contact: SmsContact) -> Conversation | None:
    """The contact's conversation, if there is one. A closed one continues too: the assistant takes it back when
    the student texts again, so the case and the safety net stay linked to it."""
    if contact.conversation_id is not None:
        conversation = await db_session.get(Conversation, contact.conversation_id)
        if conversation is not None:
            return conversation
    return None


async def current_conversation(
    *, db_session: AsyncSession, contact: SmsContact, institution_id: str
) -> Conversation:
    """The contact's conversation (a closed one continues), or a new one if there is none."""
    conversation = await open_conversation(db_session=db_session, contact=contact)
    if conversation is not None:
        return conversation
    conversation, _token = await conversations.create(
        db_session=db_session, channel=Channel.sms, institution_id=institution_id
    )
    await db_session.execute(
        update(SmsContact).where(SmsContact.id == contact.id).values(conversation_id=conversation.id)
    )
    await db_session.commit()
    contact.conversation_id = conversation.id
    return conversation


async def replies_to(*, db_session: AsyncSession, message: Message) -> list[Message]:
    """What the assistant said after a message, up to the student's next one (to answer a retry again)."""
    later = await conversations.messages_after(
        db_session=db_session, conversation_id=message.conversation_id, after_seq=message.seq
    )
    replies = []
    for item in later:
        if item.direction == Direction.user:
            break
        replies.append(item)
    return replies


# A send Twilio could not take now (its servers busy or unreachable) is tried again after these pauses, so an
# officer's words or a notice is not lost to a moment's outage; a refusal (a bad number, say) is not retried.
RETRY_DELAYS = (0.5, 2.0, 5.0)


def _worth_retrying(exc: Exception) -> bool:
    if isinstance(exc, TwilioRestException):
        return exc.status == 429 or exc.status >= 500
    return isinstance(exc, OSError)  # the connection failed or timed out (requests' errors are OSErrors)


async def _send_part(
    ctx: AppContext, conversation: Conversation, phone: str, part: str
) -> tuple[str | None, str | None]:
    """(Twilio's SID, None) for one part, or (None, the provider's error name) once every try has failed."""
    assert ctx.sms is not None
    delays = iter(RETRY_DELAYS)
    while True:
        try:
            return await ctx.sms.send(to=phone, body=part,
                                      status_callback=f"{ctx.settings.public_url}/sms/status"), None
        except Exception as exc:  # the provider's error, never the number or the text
            error = type(exc).__name__[:16]
            delay = next(delays, None) if _worth_retrying(exc) else None
            if delay is None:
                logger.warning("SMS send failed for conversation %s: %s", conversation.public_id, error)
                return None, error
            logger.info("SMS send to try again for conversation %s: %s", conversation.public_id, error)
            await asyncio.sleep(delay)


async def send_messages(ctx: AppContext, conversation: Conversation, messages: list[Message]) -> int:
    """Send stored messages to the conversation's phone through the REST API; returns parts sent.

    No database session is held while Twilio is asked (it can take seconds, with tries again)."""
    if ctx.sms is None:
        return 0
    async with ctx.sessions() as db:
        contact = await db.scalar(select(SmsContact).where(SmsContact.conversation_id == conversation.id))
        if contact is None or contact.opted_out:
            return 0
        phone = ctx.vault.decrypt(contact.phone_encrypted)
    sent = 0
    for message in messages:
        for part in split_sms(message.text):
            sid, error = await _send_part(ctx, conversation, phone, part)
            async with ctx.sessions() as db:
                db.add(SmsOutbound(conversation_id=conversation.id, message_id=message.id, provider_sid=sid,
                                   status="queued" if sid else "failed", error_code=error))
                await db.commit()
            sent += sid is not None
    return sent


async def record_status(*, db_session: AsyncSession, provider_sid: str, status: str, error_code: str | None) -> bool:
    """Store a delivery status callback; False when the message is not ours."""
    record = await db_session.scalar(select(SmsOutbound).where(SmsOutbound.provider_sid == provider_sid))
    if record is None:
        return False
    record.status, record.error_code = status[:32], (error_code or None) and error_code[:16]
    await db_session.commit()
    return True
