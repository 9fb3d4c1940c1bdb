"""Multi-step work between the student, the queue and an officer. Each step is a state change plus events."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from handoff.cases import service as cases
from handoff.cases.availability import Availability, availability
from handoff.cases.enums import CaseStatus, Goal
from handoff.cases.models import Case, CaseEvent
from handoff.cases.waiting import (
    announce_positions,
    officers_on_duty,
    queue_event,
    wait_minutes,
    wait_words,
    waiting_buttons,
)
from handoff.content import service_message
from handoff.context import AppContext
from handoff.conversations import service as conversations
from handoff.conversations import states
from handoff.conversations.enums import Channel, Direction, Owner
from handoff.conversations.events import QUEUE_TOPIC, message_event
from handoff.conversations.models import Conversation, Message
from handoff.core.db import utcnow
from handoff.officers import audit
from handoff.officers.models import Officer
from handoff.realtime import conversation_topic
from institutions import load_profile
from safety.gsm import to_gsm7

logger = logging.getLogger(__name__)


class NothingToSend(ValueError):
    """An officer's reply to a text conversation with nothing a phone can show (only emoji, say)."""


class NotAllowed(Exception):
    """The officer may not do this to this conversation (not theirs, or in the wrong state)."""


@dataclass
class HandoffOutcome:
    case: Case
    created: bool
    availability: Availability
    position: int | None
    wait_minutes: int | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "reference": cases.student_reference(self.case), "created": self.created,
            "available": self.availability.available,
            "in_hours": self.availability.in_hours, "position": self.position, "wait_minutes": self.wait_minutes,
            "wait_words": wait_words(self.wait_minutes) if self.wait_minutes else None,
            "next_open": self.availability.next_open.isoformat() if self.availability.next_open else None,
            "next_open_words": self.availability.next_open_words(),
        }


async def team_availability(ctx: AppContext, db: AsyncSession) -> Availability:
    profile = load_profile(ctx.settings.institution_id)
    return availability(profile, utcnow(), await officers_on_duty(ctx, db))


async def duty_lapsed(ctx: AppContext, officer_id: int) -> None:
    """No console of theirs came back within the grace period: they are off duty until they switch it on again."""
    async with ctx.sessions() as db:
        officer = await db.get(Officer, officer_id)
        if officer is not None and officer.on_duty:
            officer.on_duty = False
            await audit.record(db_session=db, action=audit.DUTY_LAPSED, target=audit.duty_target(officer_id))
            logger.info("officer %s went off duty: no console open", officer_id)


async def request_handoff(
    ctx: AppContext, conversation: Conversation, *, request_id: str, goal: Goal, share_transcript: bool,
    anonymous: bool, answered: bool = True,
) -> HandoffOutcome:
    """Create the case once; join the queue when someone can come, otherwise say when they can.

    ``answered`` is False when the service asks on the student's behalf, without their answers to the questions.
    """
    async with ctx.sessions() as db:
        team = await team_availability(ctx, db)
        case, created = await cases.create_for_request(
            db_session=db, conversation=conversation, request_id=request_id, goal=goal,
            share_transcript=share_transcript, anonymous=anonymous, out_of_hours=not team.available,
            answered=answered,
        )
        current = await db.get(Conversation, conversation.id)
        assert current is not None
        position, minutes = None, None
        if team.available:
            if current.owner == Owner.bot:
                await states.transition(db_session=db, conversation=current, to=Owner.waiting, actor="student",
                                        reason="asked_for_person")
                await ctx.hub.publish(QUEUE_TOPIC, {"type": "joined", "conversation": current.public_id,
                                                    "risk_level": current.risk_level, "channel": current.channel.value})
            if current.owner == Owner.waiting:
                position = await cases.queue_position(db_session=db, conversation=current)
                minutes = await wait_minutes(ctx, db, position)
    if position is not None:
        await announce_positions(ctx)
    return HandoffOutcome(case, created, team, position, minutes)


async def sms_queue_updates(ctx: AppContext) -> int:
    """One text with the place in the queue, only to a student waiting longer than half of HANDOFF_WAIT_LIMIT."""
    threshold = timedelta(seconds=ctx.settings.handoff_wait_limit / 2)
    told = 0
    async with ctx.sessions() as db:
        rows = (await db.execute(
            select(Conversation, Case).join(Case, Case.conversation_id == Conversation.id).where(
                Conversation.owner == Owner.waiting, Conversation.channel == Channel.sms,
                Conversation.owner_since < utcnow() - threshold, Case.status == CaseStatus.open,
            )
        )).all()
        for conversation, case in rows:
            already = await db.scalar(select(func.count(CaseEvent.id)).where(
                CaseEvent.case_id == case.id, CaseEvent.kind == "queue_update",
            ))
            if already:
                continue
            await cases.log_event(db_session=db, case_id=case.id, actor="system", kind="queue_update")
            await db.commit()
            event = await queue_event(ctx, db, conversation)
            await _tell_student(ctx, db, conversation, service_message(
                "queue_update", "sms", position=event["position"], wait=event["wait_words"]))
            told += 1
    return told


async def leave_queue(ctx: AppContext, conversation: Conversation, *, reason: str) -> str | None:
    """The waiting student stopped waiting (or asked for a call back instead): back to the assistant, the case
    stays open. Returns the case reference."""
    async with ctx.sessions() as db:
        current = await db.get(Conversation, conversation.id)
        case = await cases.open_case_for(db_session=db, conversation_id=conversation.id)
        if current is not None and current.owner == Owner.waiting:
            with contextlib.suppress(states.TransitionRefused):
                await states.transition(db_session=db, conversation=current, to=Owner.bot, actor="student",
                                        reason=reason)
                if case is not None:
                    await cases.log_event(db_session=db, case_id=case.id, actor="student", kind="left_queue",
                                          detail=reason)
                    await db.commit()
                await ctx.hub.publish(QUEUE_TOPIC, {"type": "closed", "conversation": current.public_id})
        conversation.owner = Owner.bot
        reference = cases.student_reference(case) if case else None
    await announce_positions(ctx)
    return reference


async def reopen_for_risk(ctx: AppContext, conversation: Conversation, *, request_id: str) -> HandoffOutcome:
    """After a close, the student wrote something that shows risk: their last case opens again (a new one if
    they had none) and the conversation joins the queue when someone can come, as any request would."""
    async with ctx.sessions() as db:
        case = await db.scalar(select(Case).where(Case.conversation_id == conversation.id)
                               .order_by(Case.id.desc()).limit(1))
        if case is not None and case.status == CaseStatus.closed:
            case.status, case.closed_at = CaseStatus.open, None
            await cases.log_event(db_session=db, case_id=case.id, actor="student", kind="reopened",
                                  detail="risk after close")
            await db.commit()
        goal = case.goal if case else Goal.talk
        share = case.share_transcript if case else False
        anonymous = case.anonymous if case else True
    return await request_handoff(ctx, conversation, request_id=request_id, goal=goal, share_transcript=share,
                                 anonymous=anonymous, answered=False)


async def _owned(db: AsyncSession, conversation_id: int, officer: Officer) -> tuple[Conversation, Case]:
    conversation = await db.get(Conversation, conversation_id)
    case = await cases.open_case_for(db_session=db, conversation_id=conversation_id)
    if conversation is None or case is None or conversation.owner != Owner.human:
        raise NotAllowed("this conversation is not with an officer")
    if case.assigned_officer_id != officer.id:
        raise NotAllowed("another officer has this conversation")
    return conversation, case


async def _store_for_student(db: AsyncSession, conversation: Conversation, text: str,
                             direction: Direction = Direction.system, buttons: list[dict[str, str]] | None = None,
                             *, commit: bool = True) -> Message:
    return await conversations.append_message(
        db_session=db, conversation_id=conversation.id, direction=direction, text=text,
        extra={"buttons": buttons} if buttons and conversation.channel == Channel.webchat else None, commit=commit,
    )


async def _show_student(ctx: AppContext, conversation: Conversation, message: Message) -> None:
    """A stored message to the chat page and the consoles watching; on a channel that delivers its own messages
    (SMS), handed to it to send."""
    await ctx.hub.publish(conversation_topic(conversation.public_id), message_event(message))
    deliver = ctx.deliveries.get(conversation.channel)
    if deliver is not None:
        ctx.spawn(deliver(ctx, conversation, [message]))
    elif conversation.channel != Channel.webchat:  # the page reads the event above; any other channel must send
        logger.error("no delivery for the %s channel: a stored message was not sent", conversation.channel.value)


async def _tell_student(ctx: AppContext, db: AsyncSession, conversation: Conversation, text: str,
                        direction: Direction = Direction.system,
                        buttons: list[dict[str, str]] | None = None) -> Message:
    message = await _store_for_student(db, conversation, text, direction, buttons)
    await _show_student(ctx, conversation, message)
    return message


async def _change_owner(db: AsyncSession, conversation: Conversation, to: Owner, officer: Officer,
                        reason: str) -> None:
    """The owner change of an officer's step, in its transaction; refused (someone else changed it first, or
    the state does not allow it) as NotAllowed."""
    try:
        await states.transition(db_session=db, conversation=conversation, to=to, actor=f"officer:{officer.id}",
                                reason=reason, commit=False)
    except states.TransitionRefused as exc:
        raise NotAllowed(str(exc)) from exc


# The officer's steps (take, hand back, close) are each one transaction: the owner change, the case, its event
# and the student's notice are stored together or not at all. Only once they are committed are events published,
# texts sent and the queue told, so nobody is shown a step that did not happen.


async def _record_step(db: AsyncSession, conversation: Conversation, case: Case, officer: Officer, kind: str,
                       notice: str) -> Message:
    """The rest of an officer's step after its owner change: the case's event ``kind`` and the student's notice
    (the service message ``notice``), committed together with it. Returns the notice, shown only after the commit."""
    await cases.log_event(db_session=db, case_id=case.id, actor=f"officer:{officer.id}", kind=kind)
    message = await _store_for_student(db, conversation, service_message(notice, conversation.channel.value),
                                       commit=False)
    await db.commit()
    return message


async def take(ctx: AppContext, conversation_id: int, officer: Officer) -> Conversation:
    """An officer takes a waiting conversation; of two at once, exactly one succeeds.

    The owner change is the transaction's first write: its compare-and-set keeps the conversation's row until the
    commit, so the second officer waits for it and is refused.
    """
    async with ctx.sessions() as db:
        conversation = await db.get(Conversation, conversation_id)
        case = await cases.open_case_for(db_session=db, conversation_id=conversation_id)
        if conversation is None or case is None:
            raise NotAllowed("no open case for this conversation")
        await _change_owner(db, conversation, Owner.human, officer, "taken")
        case.assigned_officer_id = officer.id
        notice = await _record_step(db, conversation, case, officer, "taken", "officer_joined")
    await ctx.hub.publish(conversation_topic(conversation.public_id), {"type": "officer_joined"})
    await _show_student(ctx, conversation, notice)
    await ctx.hub.publish(QUEUE_TOPIC, {"type": "taken", "conversation": conversation.public_id,
                                        "officer": officer.id})
    await announce_positions(ctx)  # everyone behind moves up
    return conversation


async def officer_message(ctx: AppContext, conversation_id: int, officer: Officer, text: str) -> Message:
    """A live reply from the officer who has the conversation, to web chat or SMS."""
    async with ctx.sessions() as db:
        conversation, case = await _owned(db, conversation_id, officer)
        if conversation.channel == Channel.sms and not to_gsm7(text):
            # Stored and shown as sent, it would reach the phone as nothing at all.
            raise NothingToSend("nothing of this reply can be sent by text (emoji and some symbols cannot be): "
                                "write it in words")
        message = await _tell_student(ctx, db, conversation, text, direction=Direction.officer)
        await cases.mark_first_response(db_session=db, case=case, at=message.created_at)
        return message


async def hand_back(ctx: AppContext, conversation_id: int, officer: Officer) -> None:
    """The officer passes the student back to the assistant; the case stays open."""
    async with ctx.sessions() as db:
        conversation, case = await _owned(db, conversation_id, officer)
        await _change_owner(db, conversation, Owner.bot, officer, "handed_back")
        notice = await _record_step(db, conversation, case, officer, "handed_back", "officer_handed_back")
    await ctx.hub.publish(conversation_topic(conversation.public_id), {"type": "officer_left"})
    await _show_student(ctx, conversation, notice)


async def close(ctx: AppContext, conversation_id: int, officer: Officer, *, outcome: str, category: str) -> Case:
    """Close the conversation and its case with an outcome and a category."""
    async with ctx.sessions() as db:
        conversation, case = await _owned(db, conversation_id, officer)
        notice = await _store_for_student(db, conversation, service_message("case_closed",
                                                                            conversation.channel.value), commit=False)
        await _change_owner(db, conversation, Owner.closed, officer, "closed")
        await cases.close(db_session=db, case=case, officer_id=officer.id, outcome=outcome, category=category,
                          commit=False)
        await db.commit()
    topic = conversation_topic(conversation.public_id)
    await _show_student(ctx, conversation, notice)
    await ctx.hub.publish(topic, {"type": "officer_left"})
    # The chat page offers "Start a new chat"; writing here again reaches the assistant (never silence).
    await ctx.hub.publish(topic, {"type": "closed"})
    await ctx.hub.publish(QUEUE_TOPIC, {"type": "closed", "conversation": conversation.public_id})
    return case


async def officer_disconnected(ctx: AppContext, officer_id: int) -> int:
    """Put the officer's live conversations back at the front of the queue and tell the students."""
    moved = 0
    async with ctx.sessions() as db:
        rows = await db.scalars(
            select(Conversation).join(Case, Case.conversation_id == Conversation.id).where(
                Conversation.owner == Owner.human, Case.assigned_officer_id == officer_id
            )
        )
        for conversation in list(rows):
            try:
                await states.transition(db_session=db, conversation=conversation, to=Owner.waiting,
                                        actor=f"officer:{officer_id}", reason="officer_disconnected")
            except states.TransitionRefused:
                continue
            moved += 1
            await ctx.hub.publish(conversation_topic(conversation.public_id), {"type": "officer_left"})
            await _tell_student(ctx, db, conversation,
                                service_message("officer_disconnected", conversation.channel.value))
            await ctx.hub.publish(QUEUE_TOPIC, {"type": "joined", "conversation": conversation.public_id,
                                                "risk_level": conversation.risk_level,
                                                "channel": conversation.channel.value})
    if moved:
        await announce_positions(ctx)
    return moved


async def lapse_absent_officers(ctx: AppContext) -> int:
    """Switch off the duty of officers with no console open for longer than the grace period."""
    grace = ctx.settings.officer_grace_seconds
    async with ctx.sessions() as db:
        switched_on = list(await db.scalars(select(Officer.id).where(Officer.on_duty.is_(True))))
    lapsed = 0
    for officer_id in switched_on:
        if not await ctx.presence.present(officer_id, grace):
            await duty_lapsed(ctx, officer_id)
            lapsed += 1
    return lapsed


async def notify_long_waits(ctx: AppContext) -> int:
    """Tell students who have waited longer than HANDOFF_WAIT_LIMIT once, and offer other options."""
    limit = timedelta(seconds=ctx.settings.handoff_wait_limit)
    told = 0
    async with ctx.sessions() as db:
        rows = (await db.execute(
            select(Conversation, Case).join(Case, Case.conversation_id == Conversation.id).where(
                Conversation.owner == Owner.waiting, Conversation.owner_since < utcnow() - limit,
                Case.status == CaseStatus.open,
            )
        )).all()
        for conversation, case in rows:
            already = await db.scalar(select(func.count(CaseEvent.id)).where(
                CaseEvent.case_id == case.id, CaseEvent.kind == "wait_notice",
                CaseEvent.created_at >= conversation.owner_since,
            ))
            if already:
                continue
            await cases.log_event(db_session=db, case_id=case.id, actor="system", kind="wait_notice")
            await db.commit()
            await _tell_student(ctx, db, conversation, service_message("still_waiting", conversation.channel.value),
                                buttons=waiting_buttons(conversation.channel.value))
            told += 1
    return told


async def watch_waiting(ctx: AppContext, every: float = 30.0) -> None:
    """Runs for the life of the service. With several workers, one of them does each round's checks (a
    claim in Redis lasting the round), so a student is told about a long wait once, not once per worker."""
    while True:
        await asyncio.sleep(every)
        if not await ctx.claims.claim("watch_waiting", every * 0.9):
            continue
        try:
            await notify_long_waits(ctx)
            await sms_queue_updates(ctx)
        except Exception:
            logger.exception("checking long waits failed")
        try:  # an officer whose worker died never closed their socket: treat them as disconnected
            for officer_id in await ctx.presence.vanished(older_than=ctx.settings.officer_grace_seconds):
                await officer_disconnected(ctx, officer_id)
                await duty_lapsed(ctx, officer_id)
                await ctx.presence.forget(officer_id)
        except Exception:
            logger.exception("checking vanished officers failed")
        try:  # switched on but no console anywhere (a restart, a worker gone before Redis knew of it)
            await lapse_absent_officers(ctx)
        except Exception:
            logger.exception("checking officers on duty failed")
