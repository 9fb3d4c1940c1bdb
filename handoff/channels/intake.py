"""What happens to a student's message: store, check, route, reply."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from handoff.assistant.client import RasaUnavailable, Reply
from handoff.cases import service as cases
from handoff.cases.enums import Goal
from handoff.cases.flows import leave_queue, reopen_for_risk, request_handoff, team_availability
from handoff.cases.service import student_reference
from handoff.cases.waiting import wait_minutes, wait_words, waiting_buttons
from handoff.channels import checkin
from handoff.channels.replies import (
    check_in_after,
    long_message_reply,
    quoted,
    reply_extra,
    safety_replies,
    with_quiet_help,
)
from handoff.content import asks_for_person, asks_to_stop_waiting, is_command, service_message, waiting_request
from handoff.context import AppContext
from handoff.conversations import service, states
from handoff.conversations.enums import Direction, Owner
from handoff.conversations.events import QUEUE_TOPIC, message_event, typing_event
from handoff.conversations.models import Conversation, Message
from handoff.conversations.store import Draft, DuplicateMessage
from handoff.core.text import well_formed
from handoff.realtime import conversation_topic
from safety.check_in import ANSWERED_FIRST, ASKED, READ, SAID_MORE, answered_first, get_check_in
from safety.verdict import CHECK_IN, METADATA_KEY, MODEL, Verdict

logger = logging.getLogger(__name__)
LONG_MESSAGE = 400  # characters: longer messages are checked off the event loop
# The longest message kept: a longer one than the assistant reads (settings.max_message_chars) is still stored
# and checked whole, and the service answers it. Under the web socket's frame limit, whatever the characters.
MAX_STORED_CHARS = 20_000
# A tap on a quick reply is matched against the buttons of this many of the latest messages to the student.
OFFERED_LOOKBACK = 5
# As check-in answers (and SAID_MORE, a reading: heard and given the numbers); one that shows risk is flagged instead.
NO_RISK_ANSWERS = ("no", "fine", "skip", "yes", SAID_MORE)


@dataclass
class Received:
    message: Message
    duplicate: bool
    risk: Verdict | None = None
    owner: Owner | None = None  # who held the conversation when the message was stored (None: not known)
    check_in_answer: str | None = None  # what the message meant as an answer to a check-in (see checkin.py)
    check_in_by_service: bool = False  # that check-in was asked by the service, which then answers the reply


async def check(ctx: AppContext, text: str) -> Verdict:
    """The safety verdict on one message; a long one is checked on a worker thread, off the event loop.

    The check never raises: a message it cannot read comes back flagged as unchecked (see safety.verdict).
    """
    if len(text) > LONG_MESSAGE:
        return await asyncio.to_thread(ctx.risk.assess, text)
    return ctx.risk.assess(text)


async def receive(
    ctx: AppContext, conversation: Conversation, text: str, *, client_message_id: str | None = None,
    channel_message_id: str | None = None, payload: str | None = None, checked: bool = True,
) -> Received:
    """Store a student's message once (a resend returns the stored one), check it for risk, announce it.

    A quick reply is stored as the words the student saw; its payload is what the assistant receives.
    `checked=False` stores a message without the check (a sender over the rate limit): it is marked so.
    """
    # A lone surrogate (valid in a Python string and in JSON's escapes, not in UTF-8: a broken emoji) would stop the
    # message being stored: it is kept as a replacement character instead, and the rest of the message as it came.
    text, client_message_id = well_formed(text), (well_formed(client_message_id) if client_message_id else None)
    risk = await check(ctx, text) if checked else None
    if risk is not None and risk.layer in (MODEL, CHECK_IN) and not risk.rule_ids \
            and (is_command(text) or await _offered(ctx, conversation, text, payload)):
        # A tap on one of our own quick replies ("Stop waiting"), or the whole message one of the commands our SMS
        # texts ask for ("STOP WAITING"): the words are the assistant's, not the student's, and the model's reading
        # of them means nothing (a rule's hit would still stand).
        risk = Verdict()
    risk, meant, extra, payload = await _answer_to_check_in(ctx, conversation, risk, text, payload)
    by_service = bool(extra.pop("asked_by_service", False))
    if risk is None:
        extra["unchecked"] = True
    elif risk.layer is not None:
        extra[METADATA_KEY] = {"layer": risk.layer, "score": round(risk.score, 4)}
        if risk.flagged:
            extra["risk"] = sorted(risk.labels)
    if risk is not None and risk.low_confidence:
        extra["low_confidence"] = sorted(risk.low_confidence)
    if payload:
        extra["payload"] = payload
    draft = Draft(text, extra or None, client_message_id, channel_message_id)
    for _attempt in range(2):  # the second time without the channel's id, which cannot clash then
        try:
            stored = await ctx.messages.store(conversation_id=conversation.id, direction=Direction.user,
                                              drafts=[draft])
            break
        except DuplicateMessage:  # a resend, or the same message twice at once: the copy stored first is the one
            async with ctx.sessions() as db:
                existing = await service.get_by_client_message_id(
                    db_session=db, conversation_id=conversation.id, client_message_id=client_message_id or ""
                )
            if existing is not None:
                return Received(existing, duplicate=True, risk=risk)
            if draft.channel_message_id is None:
                raise
            # The channel's id is already another conversation's (reused, or forged by someone holding the signing
            # key): this is no resend of anything here, so the message is kept without that id (a resend of it is
            # still known by its own id in this conversation), and the clash is noted on it and in the log.
            logger.warning("a channel message id already stored for another conversation: message %s kept without it",
                           conversation.public_id)
            draft = Draft(text, {**extra, "channel_id_clash": True}, client_message_id, None)
    if stored is None:
        raise LookupError("conversation not found")
    message = stored.messages[0]
    if risk is not None and risk.flagged:
        async with ctx.sessions() as db:
            await _raise_risk(db, conversation, risk)
    low = await checkin.raise_low(ctx, conversation, checkin.low_flags(risk))
    await ctx.hub.publish(conversation_topic(conversation.public_id), message_event(message))
    if risk is not None and (risk.flagged or low):
        # Only the labels travel: the console shows the flag and re-orders its queue.
        await ctx.hub.publish(QUEUE_TOPIC, {
            "type": "risk", "conversation": conversation.public_id, "labels": sorted(risk.labels),
            "risk_level": conversation.risk_level,
        })
    return Received(message, duplicate=False, risk=risk, owner=stored.owner, check_in_answer=meant,
                    check_in_by_service=by_service)


async def _offered(ctx: AppContext, conversation: Conversation, text: str, payload: str | None) -> bool:
    """The message is a quick reply one of the latest messages to the student offered, exactly as offered (its title
    and its payload): a tap, not words the student wrote."""
    if not payload or not text or len(text) > 200:
        return False
    async with ctx.sessions() as db:
        rows = (await db.execute(
            select(Message.extra)
            .where(Message.conversation_id == conversation.id, Message.direction != Direction.user)
            .order_by(Message.seq.desc()).limit(OFFERED_LOOKBACK)
        )).scalars().all()
    return any(isinstance(button, dict) and button.get("title") == text and button.get("payload") == payload
               for extra in rows if isinstance(extra, dict) for button in extra.get("buttons") or [])


async def _answer_to_check_in(
    ctx: AppContext, conversation: Conversation, risk: Verdict | None, text: str, payload: str | None,
) -> tuple[Verdict | None, str | None, dict[str, object], str | None]:
    """The verdict, read as an answer when the previous message asked a check-in (see checkin.py).

    Also the payload the assistant is sent: an answer that shows risk goes as the student's words, so that
    the assistant's risk detector answers it with help whatever came before; any other answer goes as the
    quick reply it means.
    """
    if risk is None or not any(f.startswith("check_in:") for f in conversation.risk_flags or []):
        return risk, None, {}, payload  # no check-in was ever asked here: no need to look
    kind, by_service = await checkin.pending(ctx, conversation)
    if kind is None:
        return risk, None, {}, payload
    before = risk.labels
    risk, meant = checkin.answer(kind, risk, text, payload, ctx.risk.severity)
    extra: dict[str, object] = {"check_in_answer": meant or "none", "check_in_kind": kind,
                                "asked_by_service": by_service}
    if meant is None and answered_first(get_check_in(), kind, text):
        extra["check_in_lead"] = True  # "no, ..." and words the assistant reads as usual (see ANSWERED_FIRST)
    if risk is not None and risk.labels != before:
        return risk, meant, extra, None
    return risk, meant, extra, checkin.payload_for(kind, meant) if meant is not None else payload


async def _raise_risk(db: AsyncSession, conversation: Conversation, risk: Verdict) -> None:
    await cases.raise_risk(db_session=db, conversation=conversation, flags=risk.labels, level=risk.severity)


async def respond(
    ctx: AppContext, conversation: Conversation, received: Received, *, client: str = "",
) -> list[Message]:
    """Route a stored message: to the assistant while it holds the conversation, otherwise to people.

    Whoever holds the conversation, a message that shows risk gets the safety response at once unless
    an officer is already talking with the student. ``client`` is a keyed hash of who sent it (the web
    client's address or the SMS number), for limits that must hold across new conversations.
    """
    # Taken before anything else so that turns of one conversation keep their order.
    lock = ctx.conversation_lock(conversation.public_id)
    # Who held the conversation as the message was stored, unless an earlier turn runs first and may hand it on.
    owner = received.owner if not lock.locked() else None
    async with lock:
        if owner is None:
            owner = await ctx.messages.owner_of(conversation.id)
        if owner is None or owner == Owner.human:
            return []  # stored and shown to the officer live; a flag also reaches their queue (receive)
        replies: list[Reply]
        risk = received.risk
        if owner == Owner.closed:
            replies = await _after_close(ctx, conversation, received, client)
        elif owner == Owner.waiting:
            replies = await _while_waiting(ctx, conversation, received, client)
        elif received.check_in_by_service and received.check_in_answer and not (risk and risk.flagged):
            replies = _check_in(received, conversation)  # the service asked this check-in: it answers the reply
        elif _stops_nothing(received):
            replies = [Reply(text=service_message("not_waiting", conversation.channel.value))]
        else:
            first, assistant_goes_on = await _honest_first(ctx, conversation, received)
            asked = await _ask_assistant(ctx, conversation, received, client=client) if assistant_goes_on else []
            replies = first + asked
        replies = with_quiet_help(risk, replies, conversation)  # a faint sign never leaves without a number
        replies = await checkin.worded_as_asked_again(ctx, conversation, replies)  # "you told me earlier..."
        await _asking_check_in(ctx, conversation, replies)
        return await _deliver(ctx, conversation, replies)


def _check_in(received: Received, conversation: Conversation, *, weak_signs: bool = True) -> list[Reply]:
    """The service's own check-in turn (the assistant is down, or an officer is awaited).

    An answer that shows no risk is thanked; a message that calls for a check-in gets the question (with
    `weak_signs`, so does one that only shows a weak sign: nobody else will read it now).
    """
    channel = conversation.channel.value
    if received.check_in_answer in NO_RISK_ANSWERS:
        kind = (received.message.extra or {}).get("check_in_kind")
        return [checkin.reply_to(received.check_in_answer, channel, kind if isinstance(kind, str) else None)]
    risk = received.risk
    kind = checkin.to_ask(risk) if weak_signs or (risk is not None and risk.check_in) else None
    return [checkin.question(kind, channel)] if kind else []


async def _asking_check_in(ctx: AppContext, conversation: Conversation, replies: list[Reply]) -> None:
    """A check-in raises a low flag as it is asked, so it stays visible to officers if nobody answers.

    Raised before the question is shown, so that the answer always finds the check-in it answers.
    """
    kinds = {r.custom[checkin.MARKER] for r in replies if r.custom and r.custom.get(checkin.MARKER)}
    if await checkin.raise_low(ctx, conversation, sorted(checkin.flag(kind) for kind in kinds)):
        await ctx.hub.publish(QUEUE_TOPIC, {
            "type": "risk", "conversation": conversation.public_id, "labels": [],
            "risk_level": conversation.risk_level,
        })


async def _person_without_assistant(ctx: AppContext, conversation: Conversation, message: Message) -> list[Reply]:
    """The assistant is down and the student asked for a person: the service opens the case itself.

    Without the assistant there is no one to ask about sharing the conversation so far, so it is not shared.
    """

    outcome = await request_handoff(
        ctx, conversation, request_id=f"service:{conversation.public_id}:{message.seq}", goal=Goal.talk,
        share_transcript=False, anonymous=True, answered=False,
    )
    return [Reply(text=_outcome_words(outcome, conversation.channel.value, "queued_without_assistant",
                                      "team_away_without_assistant"))]


async def _honest_first(ctx: AppContext, conversation: Conversation, received: Received) -> tuple[list[Reply], bool]:
    """A plain request for a person is answered honestly before any question: when nobody can come (out of
    hours, nobody on duty) the service says so itself, with when the team is next in, 24/7 help and the
    call-back offer, and opens the case so the team sees it; when someone can come, it says roughly how long
    the wait is and the assistant goes on with its questions. Returns the replies and whether the assistant
    is asked too (always, for anything but a plain request for a person)."""

    payload = (received.message.extra or {}).get("payload")
    if not asks_for_person(received.message.text, payload):
        return [], True
    channel = conversation.channel.value
    async with ctx.sessions() as db:
        team = await team_availability(ctx, db)
        if team.available:
            waiting = await db.scalar(select(func.count(Conversation.id)).where(Conversation.owner == Owner.waiting))
            minutes = await wait_minutes(ctx, db, int(waiting or 0) + 1)
            return [Reply(text=service_message("person_wait", channel, wait=wait_words(minutes)))], True
    outcome = await request_handoff(
        ctx, conversation, request_id=f"first:{conversation.public_id}:{received.message.seq}", goal=Goal.talk,
        share_transcript=False, anonymous=True, answered=False,
    )
    if outcome.position is not None:  # an officer came on duty in between: the usual path goes on
        return [], True
    name = "team_away_in_hours" if team.in_hours else "team_away_out_of_hours"
    buttons = [] if channel == "sms" else [
        {"title": "Ask for a call back", "payload": "/request_callback"},
        {"title": "Services open now", "payload": "/ask_support_services"},
    ]
    text = service_message(name, channel, when=team.next_open_words(), reference=student_reference(outcome.case))
    return [Reply(text=text, buttons=buttons)], False


async def _after_close(ctx: AppContext, conversation: Conversation, received: Received, client: str) -> list[Reply]:
    """The student wrote after an officer closed the conversation: the assistant takes it back.

    A message that shows risk gets the safety response, and the case opens again and joins the queue (first,
    by risk) when someone can come; anything else goes to the assistant as usual.
    """

    async with ctx.sessions() as db:
        current = await db.get(Conversation, conversation.id)
        if current is not None and current.owner == Owner.closed:
            with contextlib.suppress(states.TransitionRefused):  # another worker's turn reopened it first
                await states.transition(db_session=db, conversation=current, to=Owner.bot, actor=states.STUDENT,
                                        reason="wrote_again")
    conversation.owner = Owner.bot
    risk = received.risk
    if _stops_nothing(received):
        return [Reply(text=service_message("not_waiting", conversation.channel.value))]
    if not (risk and risk.flagged):
        return await _ask_assistant(ctx, conversation, received, client=client)
    outcome = await reopen_for_risk(ctx, conversation,
                                    request_id=f"reopened:{conversation.public_id}:{received.message.seq}")
    note = _outcome_words(outcome, conversation.channel.value, "reopened_queued", "reopened_team_away")
    return [*safety_replies(risk, conversation), Reply(text=note)]


def _stops_nothing(received: Received) -> bool:
    """"STOP WAITING" (the whole message, as our texts ask for it, or a "Stop waiting" button tapped later) from a
    student who is not in the queue, with no risk shown: the service says there is nothing to stop, whether or not
    the assistant is up, instead of the assistant not understanding its own words. Words that show risk, or call for
    a check-in, sent with the button's payload are answered as any message."""
    risk = received.risk
    payload = (received.message.extra or {}).get("payload")
    if risk is not None and (risk.flagged or risk.check_in):
        return False
    return asks_to_stop_waiting(received.message.text, payload)


async def _while_waiting(ctx: AppContext, conversation: Conversation, received: Received, client: str) -> list[Reply]:
    """In the queue the assistant is not asked; the service still answers every message."""

    risk = received.risk
    if risk and risk.flagged:
        return safety_replies(risk, conversation)
    wish = waiting_request(received.message.text, (received.message.extra or {}).get("payload"))
    # A waiting action ("Stop waiting", CALLBACK) is not met with a question the model alone suggests; a rule's
    # sign still asks. Weak signs are left to the officer.
    model_only = risk is not None and not risk.rule_ids
    asking = [] if wish and model_only else _check_in(received, conversation, weak_signs=False)
    if asking:
        return asking
    channel = conversation.channel.value
    if wish == "services":  # the assistant answers; the student keeps their place
        return await _ask_assistant(ctx, conversation, received, text="/ask_support_services", client=client)
    if wish in ("callback", "stop_waiting"):

        reference = await leave_queue(ctx, conversation, reason=wish)
        if wish == "callback":  # the assistant's call-back questions take it from here
            return await _ask_assistant(ctx, conversation, received, text="/request_callback", client=client)
        return [Reply(text=service_message("left_queue", channel, reference=reference))]
    async with ctx.sessions() as db:
        current = await db.get(Conversation, conversation.id)
        position = await cases.queue_position(db_session=db, conversation=current) if current else 1
    return [Reply(text=service_message("waiting_saved", channel, position=position), buttons=waiting_buttons(channel))]


def _outcome_words(outcome: Any, channel: str, queued: str, away: str) -> str:
    """What the student is told once a case is open: their place in the queue, or when the team is back."""

    reference = student_reference(outcome.case)
    if outcome.position is not None:
        return service_message(queued, channel, reference=reference, position=outcome.position)
    return service_message(away, channel, reference=reference, when=_when(outcome.availability))


def _when(team: Any) -> str:
    return f"they are back on {team.next_open_words()}" if team.next_open else "no officer is free just now"


async def _ask_assistant(ctx: AppContext, conversation: Conversation, received: Received,
                         text: str | None = None, client: str = "") -> list[Reply]:
    """One turn of the assistant, with the service's own answer when the assistant is down."""
    topic = conversation_topic(conversation.public_id)
    risk = received.risk
    said = received.message.extra or {}
    limit = ctx.settings.max_message_chars
    if text is None and len(received.message.text) > limit:
        if not (risk and risk.flagged):  # too long for the assistant to read well: the service answers it
            return _check_in(received, conversation) or [long_message_reply(conversation)]
        text = received.message.text[:limit]  # the verdict, made on all of it, decides the answer
    ctx.hub.publish_here(topic, typing_event(True))
    replies: list[Reply] = []
    try:
        # The assistant's actions may act on this conversation (open a case, erase it) only meanwhile.
        async with ctx.turns.running(conversation.public_id, client):
            replies = await ctx.rasa.send(
                channel=conversation.channel.value, sender=conversation.public_id,
                text=text or said.get("payload") or received.message.text,
                metadata={"institution_id": conversation.institution_id,
                          METADATA_KEY: risk.to_metadata() if risk is not None else None,
                          READ: received.check_in_answer or (
                              ANSWERED_FIRST if said.get("check_in_lead") else None),
                          ASKED: said.get("check_in_kind")},
            )
        replies, asked = checkin.asked(quoted(replies))
        if not any(reply.text or reply.buttons for reply in replies):
            # The assistant answered with nothing a student can see (a story that ends at once, an action that
            # failed quietly): never silence. The service answers as when the assistant is down.
            logger.warning("the assistant answered %s with nothing to show: the service answers",
                           conversation.public_id)
            return _answer_without_assistant(received, conversation, [])
        if asked is None and risk is not None and risk.flagged:
            replies += check_in_after(risk, conversation)  # the assistant answered the label only
        return replies
    except RasaUnavailable:
        if asks_for_person(received.message.text, said.get("payload")):
            replies = await _person_without_assistant(ctx, conversation, received.message)
        return _answer_without_assistant(received, conversation, replies)
    finally:
        ctx.hub.publish_here(topic, typing_event(False))


def _answer_without_assistant(received: Received, conversation: Conversation, replies: list[Reply]) -> list[Reply]:
    """The service's own answer when the assistant gave none: the safety response for a flagged message, else the
    check-in it calls for, else a word that the assistant is not answering, with 999, Samaritans and a person."""
    risk = received.risk
    if risk and risk.flagged:
        return safety_replies(risk, conversation) + replies
    if replies:
        return replies
    return _check_in(received, conversation) or [
        Reply(text=service_message("assistant_unavailable", conversation.channel.value))]


async def _deliver(ctx: AppContext, conversation: Conversation, replies: list[Reply]) -> list[Message]:
    """Store and show the assistant's replies, unless an officer took the conversation in the meantime."""
    drafts = [Draft(reply.text, reply_extra(reply)) for reply in replies if reply.text or reply.buttons]
    if not drafts:
        return []
    stored = await ctx.messages.store(conversation_id=conversation.id, direction=Direction.assistant, drafts=drafts,
                                      assistant_turn=True)
    if stored is None:  # a person has the conversation now (or it ended): the assistant stays silent
        return []
    topic = conversation_topic(conversation.public_id)
    for message in stored.messages:
        await ctx.hub.publish(topic, message_event(message))
    return stored.messages
