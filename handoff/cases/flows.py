"""Multi-step work between the student, the queue and an officer. Each step is a state change plus events."""

from __future__ import annotations

import asyncio
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
from handoff.content import service_message
from handoff.context import AppContext
from handoff.conversations import service as conversations
from handoff.conversations import states
from handoff.conversations.enums import Channel, Direction, Owner
from handoff.conversations.events import message_event
from handoff.conversations.flows import QUEUE_TOPIC
from handoff.conversations.models import Conversation, Message
from handoff.core.db import utcnow
from handoff.officers.models import Officer
from handoff.realtime import conversation_topic
from institutions import load_profile

logger = logging.getLogger(__name__)


class NotAllowed(Exception):
    """The officer may not do this to this conversation (not theirs, or in the wrong state)."""


@dataclass
class HandoffOutcome:
    case: Case
    created: bool
    availability: Availability
    position: int | None

    def as_json(self) -> dict[str, Any]:
        return {
            "reference": cases.student_reference(self.case), "created": self.created,
            "available": self.availability.available,
            "in_hours": self.availability.in_hours, "position": self.position,
            "next_open": self.availability.next_open.isoformat() if self.availability.next_open else None,
            "next_open_words": self.availability.next_open_words(),
        }


async def officers_on_duty(db: AsyncSession) -> int:
    return int(await db.scalar(
        select(func.count(Officer.id)).where(Officer.on_duty.is_(True), Officer.is_active.is_(True))
    ) or 0)


async def team_availability(ctx: AppContext, db: AsyncSession) -> Availability:
    profile = load_profile(ctx.settings.institution_id)
    return availability(profile, utcnow(), await officers_on_duty(db))


async def request_handoff(
    ctx: AppContext, conversation: Conversation, *, request_id: str, goal: Goal, share_transcript: bool,
    anonymous: bool,
) -> HandoffOutcome:
    """Create the case once; join the queue when someone can come, otherwise say when they can."""
    async with ctx.sessions() as db:
        team = await team_availability(ctx, db)
        case, created = await cases.create_for_request(
            db_session=db, conversation=conversation, request_id=request_id, goal=goal,
            share_transcript=share_transcript, anonymous=anonymous, out_of_hours=not team.available,
        )
        current = await db.get(Conversation, conversation.id)
        assert current is not None
        position = None
        if team.available:
            if current.owner == Owner.bot:
                await states.transition(db_session=db, conversation=current, to=Owner.waiting, actor="student",
                                        reason="asked_for_person")
                await ctx.hub.publish(QUEUE_TOPIC, {"type": "joined", "conversation": current.public_id,
                                                    "risk_level": current.risk_level, "channel": current.channel.value})
            if current.owner == Owner.waiting:
                position = await cases.queue_position(db_session=db, conversation=current)
    return HandoffOutcome(case, created, team, position)


async def _owned(db: AsyncSession, conversation_id: int, officer: Officer) -> tuple[Conversation, Case]:
    conversation = await db.get(Conversation, conversation_id)
    case = await cases.open_case_for(db_session=db, conversation_id=conversation_id)
    if conversation is None or case is None or conversation.owner != Owner.human:
        raise NotAllowed("this conversation is not with an officer")
    if case.assigned_officer_id != officer.id:
        raise NotAllowed("another officer has this conversation")
    return conversation, case


async def _tell_student(ctx: AppContext, db: AsyncSession, conversation: Conversation, text: str,
                        direction: Direction = Direction.system) -> Message:
    message = await conversations.append_message(
        db_session=db, conversation_id=conversation.id, direction=direction, text=text
    )
    await ctx.hub.publish(conversation_topic(conversation.public_id), message_event(message))
    if conversation.channel == Channel.sms:
        from handoff.sms.service import send_messages

        ctx.spawn(send_messages(ctx, conversation, [message]))
    return message


async def take(ctx: AppContext, conversation_id: int, officer: Officer) -> Conversation:
    """An officer takes a waiting conversation; of two at once, exactly one succeeds."""
    async with ctx.sessions() as db:
        conversation = await db.get(Conversation, conversation_id)
        case = await cases.open_case_for(db_session=db, conversation_id=conversation_id)
        if conversation is None or case is None:
            raise NotAllowed("no open case for this conversation")
        try:
            await states.transition(db_session=db, conversation=conversation, to=Owner.human,
                                     actor=f"officer:{officer.id}", reason="taken")
        except states.TransitionRefused as exc:
            raise NotAllowed(str(exc)) from exc
        case.assigned_officer_id = officer.id
        await cases.log_event(db_session=db, case_id=case.id, actor=f"officer:{officer.id}", kind="taken")
        await db.commit()
        topic = conversation_topic(conversation.public_id)
        await ctx.hub.publish(topic, {"type": "officer_joined"})
        await _tell_student(ctx, db, conversation, service_message("officer_joined", conversation.channel.value))
        await ctx.hub.publish(QUEUE_TOPIC, {"type": "taken", "conversation": conversation.public_id,
                                            "officer": officer.id})
        return conversation


async def officer_message(ctx: AppContext, conversation_id: int, officer: Officer, text: str) -> Message:
    """A live reply from the officer who has the conversation, to web chat or SMS."""
    async with ctx.sessions() as db:
        conversation, case = await _owned(db, conversation_id, officer)
        message = await _tell_student(ctx, db, conversation, text, direction=Direction.officer)
        await cases.mark_first_response(db_session=db, case=case, at=message.created_at)
        return message


async def hand_back(ctx: AppContext, conversation_id: int, officer: Officer) -> None:
    """The officer passes the student back to the assistant; the case stays open."""
    async with ctx.sessions() as db:
        conversation, case = await _owned(db, conversation_id, officer)
        await states.transition(db_session=db, conversation=conversation, to=Owner.bot,
                                actor=f"officer:{officer.id}", reason="handed_back")
        await cases.log_event(db_session=db, case_id=case.id, actor=f"officer:{officer.id}", kind="handed_back")
        await db.commit()
        await ctx.hub.publish(conversation_topic(conversation.public_id), {"type": "officer_left"})
        await _tell_student(ctx, db, conversation,
                            service_message("officer_handed_back", conversation.channel.value))


async def close(ctx: AppContext, conversation_id: int, officer: Officer, *, outcome: str, category: str) -> Case:
    """Close the conversation and its case with an outcome and a category."""
    async with ctx.sessions() as db:
        conversation, case = await _owned(db, conversation_id, officer)
        await _tell_student(ctx, db, conversation, service_message("case_closed", conversation.channel.value))
        await states.transition(db_session=db, conversation=conversation, to=Owner.closed,
                                actor=f"officer:{officer.id}", reason="closed")
        await ctx.hub.publish(conversation_topic(conversation.public_id), {"type": "officer_left"})
        await ctx.hub.publish(QUEUE_TOPIC, {"type": "closed", "conversation": conversation.public_id})
        return await cases.close(db_session=db, case=case, officer_id=officer.id, outcome=outcome,
                                 category=category)


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
    return moved


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
            await _tell_student(ctx, db, conversation, service_message("still_waiting", conversation.channel.value))
            told += 1
    return told


async def watch_waiting(ctx: AppContext, every: float = 30.0) -> None:
    """Runs for the life of the service. With several workers, one of them does each round's checks (a
    claim in Redis lasting the round), so a student is told about a long wait once, not once per worker."""
    from handoff.console.api import DISCONNECT_GRACE_SECONDS

    while True:
        await asyncio.sleep(every)
        if not await ctx.claims.claim("watch_waiting", every * 0.9):
            continue
        try:
            await notify_long_waits(ctx)
        except Exception:
            logger.exception("checking long waits failed")
        try:  # an officer whose worker died never closed their socket: treat them as disconnected
            for officer_id in await ctx.presence.vanished(older_than=DISCONNECT_GRACE_SECONDS):
                await officer_disconnected(ctx, officer_id)
                await ctx.presence.forget(officer_id)
        except Exception:
            logger.exception("checking vanished officers failed")
