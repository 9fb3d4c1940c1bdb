"""Twilio's webhooks: inbound SMS (answered in TwiML) and delivery status callbacks."""

from __future__ import annotations

import asyncio
import logging

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response
from sqlalchemy import select
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

from handoff.api.deps import CtxDep
from handoff.channels import checkin
from handoff.channels import intake as flows
from handoff.channels.sms import service
from handoff.content import service_message
from handoff.context import AppContext
from handoff.conversations import service as conversations
from handoff.conversations.enums import Direction, Owner
from handoff.conversations.events import message_event
from handoff.conversations.models import Conversation, Message
from handoff.realtime import conversation_topic
from safety.gsm import split_sms

logger = logging.getLogger(__name__)
router = APIRouter(prefix="/sms", tags=["sms"])

STOP_WORDS = frozenset({"stop", "stopall", "unsubscribe", "cancel", "end", "quit", "optout", "revoke"})
START_WORDS = frozenset({"start", "unstop"})
HELP_WORDS = frozenset({"help", "info"})


async def signed_params(request: Request, ctx: AppContext) -> dict[str, str]:
    """The form fields of a request whose X-Twilio-Signature is valid for our public URL; 403 otherwise."""
    form = await request.form()
    params = {key: str(value) for key, value in form.multi_items()}
    url = ctx.settings.public_url + request.url.path + (f"?{request.url.query}" if request.url.query else "")
    signature = request.headers.get("x-twilio-signature", "")
    token = ctx.settings.twilio_token
    if not token or not signature or not RequestValidator(token).validate(url, params, signature):
        logger.warning("rejected an SMS webhook with a missing or invalid signature")
        raise HTTPException(status_code=403, detail="invalid signature")
    # Signed as sent; kept without NUL (PostgreSQL text cannot hold it), so the text is never lost for it.
    return {key: value.replace("\x00", "") for key, value in params.items()}


def twiml(texts: list[str]) -> Response:
    """A TwiML reply with each text split into GSM-7 messages within the SMS budget."""
    reply = MessagingResponse()
    for text in texts:
        for part in split_sms(text):
            reply.message(part)
    return Response(content=str(reply), media_type="application/xml")


@router.post("/inbound")
async def inbound(request: Request, ctx: CtxDep) -> Response:
    """A text from a student: store it once, check it, answer it within Twilio's patience.

    On an error answer Twilio only logs it, and the student hears nothing: so once the text is known
    to be Twilio's (signed), whatever breaks (the database away, a bug) is answered with where to get help now and a
    request to send it again, never with an error. STOP is the exception: it is never answered.
    """
    params = await signed_params(request, ctx)
    sid, phone, body = params.get("MessageSid", ""), params.get("From", ""), params.get("Body", "")
    if not sid or not phone:
        raise HTTPException(status_code=400, detail="MessageSid and From are required")
    keyword = body.strip().lower()
    try:
        return await _take_in(ctx, sid, phone, body, keyword, params)
    except HTTPException:
        raise  # a refusal meant for the caller, not a fault
    except Exception as exc:
        # The error's name only: its message could carry the text or the number.
        logger.error("a text could not be taken in (%s): answered with help and asked to send again",
                     type(exc).__name__)
        return twiml([] if keyword in STOP_WORDS else [service_message("not_taken_in", "sms")])


async def _take_in(ctx: AppContext, sid: str, phone: str, body: str, keyword: str, params: dict[str, str]) -> Response:
    async with ctx.sessions() as db:
        contact = await service.get_or_create_contact(db_session=db, vault=ctx.vault, phone=phone)
        if keyword in STOP_WORDS:
            await service.set_opted_out(db_session=db, contact=contact, opted_out=True)
            return twiml([])
        if keyword in START_WORDS:
            await service.set_opted_out(db_session=db, contact=contact, opted_out=False)
            return twiml([service_message("sms_start", "sms")])
        if await service.open_conversation(db_session=db, contact=contact) is None:
            # A new conversation: limited per number. A message that shows risk is never refused: it goes on
            # to the safety response as ever. Anything else gets a kind no, with where to find help now.
            refusal = await ctx.client_limits.new_conversation(number=phone)
            verdict = await flows.check(ctx, body.strip()) if refusal is not None else None
            if verdict is not None and not (verdict.flagged or checkin.to_ask(verdict)):  # a weak sign is asked about
                return twiml([] if contact.opted_out else [service_message("too_many_conversations", "sms")])
        conversation = await service.current_conversation(
            db_session=db, contact=contact, institution_id=ctx.settings.institution_id
        )
        opted_out = contact.opted_out
        existing = await conversations.get_by_client_message_id(
            db_session=db, conversation_id=conversation.id, client_message_id=sid
        )
        if existing is not None:  # Twilio retried: answer with what we said the first time
            replies = [m.text for m in await service.replies_to(db_session=db, message=existing)]
            if not replies and (existing.extra or {}).get("unchecked"):
                # It came over the rate limit: that answer (with the emergency numbers) is not stored, so it is said
                # again rather than nothing.
                replies = [service_message("rate_limited", "sms")]
            return twiml([] if opted_out else replies)
    if keyword in HELP_WORDS and (await checkin.pending(ctx, conversation))[0] is None:
        return await _help_keyword(ctx, conversation, sid, body.strip())
    # "HELP" straight after a check-in ("are you safe right now?") is an answer, not the keyword: it is stored, read
    # (as not sure, so the student gets the safety response) and raises the conversation for an officer.
    text = body.strip()
    if not text:
        media = params.get("NumMedia", "0")
        if not (media.isdigit() and int(media) > 0):
            return twiml([service_message("message_empty", "sms")])
        reply = service_message("message_media_only", "sms")
        if conversation.owner in (Owner.waiting, Owner.human) or not await _first_of_conversation(ctx, conversation):
            await _note_for_officer(ctx, conversation, reply)
        return twiml([reply])
    # Twilio will not send a text again, so none is refused for its length: a long one is kept and checked whole
    # (the service answers it, see flows). Past what any phone sends, only the part that fits is kept.
    text = text[:flows.MAX_STORED_CHARS]
    first = await _first_of_conversation(ctx, conversation)
    # The limit comes before the safety check, so a flood costs little; a text over it is still stored (Twilio
    # will not send it again) and its reply still carries the emergency numbers.
    limited = bool(await ctx.rate_limiter.acquire(conversation.public_id))
    received = await flows.receive(
        ctx, conversation, text, client_message_id=sid, channel_message_id=sid, checked=not limited
    )
    if received.duplicate or opted_out:
        return twiml([])
    if limited:
        return twiml([service_message("rate_limited", "sms")])
    task = ctx.spawn(flows.respond(ctx, conversation, received, client="sms:" + contact.phone_hash))
    try:
        stored: list[Message] = await asyncio.wait_for(asyncio.shield(task), ctx.settings.sms_reply_timeout)
    except TimeoutError:
        # Too slow for the webhook: say so now, and send the answer by the REST API when it comes.
        task.add_done_callback(lambda done: _send_late(ctx, conversation, done))
        async with ctx.sessions() as db:
            await conversations.append_message(
                db_session=db, conversation_id=conversation.id, direction=Direction.system,
                text=service_message("assistant_slow", "sms"),
            )
        return twiml([service_message("assistant_slow", "sms"), *await _privacy(ctx, conversation, first)])
    return twiml([m.text for m in stored] + await _privacy(ctx, conversation, first))


async def _help_keyword(ctx: AppContext, conversation: Conversation, sid: str, text: str) -> Response:
    """HELP or INFO, the carriers' keyword: answered with what this number is and where help is now, and stored with
    that answer like any text, so an officer (perhaps talking with the student at that moment) sees that the student
    texted it, and a retry from Twilio is answered the same. A new conversation's first reply keeps its privacy note."""
    first = await _first_of_conversation(ctx, conversation)
    await flows.receive(ctx, conversation, text, client_message_id=sid, channel_message_id=sid)
    reply = service_message("sms_help", "sms")
    await _note_for_officer(ctx, conversation, reply)
    return twiml([reply, *await _privacy(ctx, conversation, first)])


async def _note_for_officer(ctx: AppContext, conversation: Conversation, reply: str) -> None:
    """A picture or a file came: what the student was told goes into the conversation, so an officer who has it, or
    reads it later, sees that something came that no one can open. The picture and Twilio's link to it are not kept.
    Not as a new conversation's first message: its first real message would lose the privacy notice."""
    async with ctx.sessions() as db:
        note = await conversations.append_message(db_session=db, conversation_id=conversation.id,
                                                  direction=Direction.system, text=reply)
    await ctx.hub.publish(conversation_topic(conversation.public_id), message_event(note))


async def _first_of_conversation(ctx: AppContext, conversation: Conversation) -> bool:
    async with ctx.sessions() as db:
        return not await db.scalar(select(Message.id).where(Message.conversation_id == conversation.id).limit(1))


async def _privacy(ctx: AppContext, conversation: Conversation, first: bool) -> list[str]:
    """The first reply of a conversation says that texts stay on the phone, and how to delete them (stored,
    so a retry from Twilio answers the same)."""
    if not first:
        return []
    text = service_message("sms_privacy", "sms")
    async with ctx.sessions() as db:
        await conversations.append_message(db_session=db, conversation_id=conversation.id,
                                           direction=Direction.system, text=text)
    return [text]


def _send_late(ctx: AppContext, conversation: Conversation, task: asyncio.Task[list[Message]]) -> None:
    if task.cancelled() or task.exception() is not None:
        return
    messages = task.result()
    if messages:
        ctx.spawn(service.send_messages(ctx, conversation, messages))


@router.post("/status")
async def delivery_status(request: Request, ctx: CtxDep) -> Response:
    """Twilio's delivery status callback for a message we sent."""
    params = await signed_params(request, ctx)
    sid, status = params.get("MessageSid", ""), params.get("MessageStatus", "")
    if not sid or not status:
        raise HTTPException(status_code=400, detail="MessageSid and MessageStatus are required")
    async with ctx.sessions() as db:
        await service.record_status(
            db_session=db, provider_sid=sid, status=status, error_code=params.get("ErrorCode")
        )
    return Response(status_code=204)
