"""Who holds a conversation, and the only place that changes it.

bot -> waiting (the student asked for a person) -> human (an officer took it) -> bot (handed back);
any state -> closed; closed -> bot only when the student writes again (the assistant takes the conversation
back, so a closed chat is never silent). Every change writes a ConversationEvent row: who, when, from, to.
"""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from handoff.conversations.enums import Owner
from handoff.conversations.models import Conversation, ConversationEvent
from handoff.core.db import utcnow

ALLOWED: dict[Owner, frozenset[Owner]] = {
    Owner.bot: frozenset({Owner.waiting, Owner.closed}),
    Owner.waiting: frozenset({Owner.human, Owner.bot, Owner.closed}),
    Owner.human: frozenset({Owner.bot, Owner.waiting, Owner.closed}),
    Owner.closed: frozenset({Owner.bot}),
}
STUDENT = "student"


class TransitionRefused(Exception):
    """The change is not allowed from the conversation's current state, or someone else made it first."""


async def transition(
    *, db_session: AsyncSession, conversation: Conversation, to: Owner, actor: str, reason: str = "",
    commit: bool = True,
) -> Conversation:
    """Move the conversation to a new owner, atomically: of two racing callers, exactly one wins.

    ``commit=False``: the change is flushed in the caller's transaction, which commits it with the rest of its
    work or rolls it all back (a refusal too). The compare-and-set keeps the row locked until then, so a racing
    caller waits for that transaction to end and is refused if it committed.
    """
    current = conversation.owner
    if to not in ALLOWED[current]:
        raise TransitionRefused(f"cannot go from {current.value} to {to.value}")
    if current == Owner.closed and actor != STUDENT:  # an officer's close stands; only the student reopens
        raise TransitionRefused("only the student reopens a closed conversation, by writing again")
    now = utcnow()
    result = await db_session.execute(
        update(Conversation)
        .where(Conversation.id == conversation.id, Conversation.owner == current)
        .values(owner=to, owner_since=now, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        if commit:
            await db_session.rollback()
        raise TransitionRefused("the conversation changed hands first")
    db_session.add(ConversationEvent(
        conversation_id=conversation.id, actor=actor, from_owner=current, to_owner=to, reason=reason[:64],
    ))
    if commit:
        await db_session.commit()
    else:
        await db_session.flush()
    conversation.owner, conversation.owner_since = to, now
    return conversation
