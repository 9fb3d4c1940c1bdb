"""The wait for a person: a student's place in the queue, a rough and honest wait, and what they may do instead."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from handoff.cases import service as cases
from handoff.context import AppContext
from handoff.conversations.enums import Channel, Owner
from handoff.conversations.models import Conversation, ConversationEvent
from handoff.officers.models import Officer
from handoff.realtime import conversation_topic


def waiting_buttons(channel: str) -> list[dict[str, str]]:
    """What a waiting student can do instead (web quick replies; SMS users text the keywords)."""
    if channel == "sms":
        return []
    return [{"title": "Ask for a call back", "payload": "/request_callback"},
            {"title": "Stop waiting", "payload": "/stop_waiting"},
            {"title": "Services open now", "payload": "/ask_support_services"}]


async def officers_on_duty(ctx: AppContext, db: AsyncSession) -> int:
    """Officers who said they are on duty and have a console open now (on any worker), or had one within the
    grace period. A closed browser, a signed-out officer or a restarted service promises nobody."""
    switched_on = await db.scalars(
        select(Officer.id).where(Officer.on_duty.is_(True), Officer.is_active.is_(True))
    )
    grace = ctx.settings.officer_grace_seconds
    return sum([await ctx.presence.present(officer_id, grace) for officer_id in switched_on])


DEFAULT_MINUTES_PER_PERSON = 5  # until the team has taken a few chats, a modest guess
RECENT_TAKES = 20


async def minutes_per_person(db: AsyncSession) -> float:
    """How long a student waited before an officer took them, over the team's most recent takes (in minutes)."""
    takes = list(await db.scalars(
        select(ConversationEvent).where(ConversationEvent.to_owner == Owner.human,
                                        ConversationEvent.from_owner == Owner.waiting)
        .order_by(ConversationEvent.id.desc()).limit(RECENT_TAKES)
    ))
    waits = []
    for take in takes:
        joined = await db.scalar(
            select(ConversationEvent.created_at).where(
                ConversationEvent.conversation_id == take.conversation_id, ConversationEvent.to_owner == Owner.waiting,
                ConversationEvent.id < take.id,
            ).order_by(ConversationEvent.id.desc()).limit(1)
        )
        if joined is not None:
            waits.append((take.created_at - joined).total_seconds() / 60)
    return sum(waits) / len(waits) if waits else DEFAULT_MINUTES_PER_PERSON


async def wait_minutes(ctx: AppContext, db: AsyncSession, position: int) -> int:
    """A rough wait for the student at ``position``: recent waits, times the people ahead, shared by officers."""
    per_person = await minutes_per_person(db)
    officers = max(1, await officers_on_duty(ctx, db))
    return max(1, round(per_person * position / officers))


def wait_words(minutes: int) -> str:
    """'a few minutes', 'about 10 minutes', 'over an hour': honest, never precise."""
    if minutes <= 3:
        return "a few minutes"
    if minutes >= 60:
        return "over an hour"
    return f"about {5 * max(1, round(minutes / 5))} minutes"


async def queue_event(ctx: AppContext, db: AsyncSession, conversation: Conversation) -> dict[str, Any]:
    """The waiting student's place and rough wait, as the chat page shows it."""
    position = await cases.queue_position(db_session=db, conversation=conversation)
    minutes = await wait_minutes(ctx, db, position)
    return {"type": "queue", "position": position, "wait_minutes": minutes, "wait_words": wait_words(minutes)}


async def announce_positions(ctx: AppContext) -> None:
    """Tell every waiting web chat its place and rough wait (live only: the chat page keeps a waiting line)."""
    async with ctx.sessions() as db:
        waiting = list(await db.scalars(select(Conversation).where(Conversation.owner == Owner.waiting)))
        for conversation in waiting:
            if conversation.channel != Channel.webchat:
                continue  # SMS gets at most one update, from the wait check (sms_queue_updates)
            await ctx.hub.publish(conversation_topic(conversation.public_id), await queue_event(ctx, db, conversation))
