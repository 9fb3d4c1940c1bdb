"""What the student chose to share from before the handoff, and the one place that decides what an officer sees."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from handoff.cases.models import Case
from handoff.cases.service import log_event
from handoff.conversations.enums import Direction
from handoff.conversations.models import Message


async def student_messages(*, db_session: AsyncSession, conversation_id: int, from_seq: int = 0,
                           upto_seq: int | None = None) -> list[Message]:
    """The student's own messages, in order: what the share question lists."""
    statement = select(Message).where(Message.conversation_id == conversation_id,
                                      Message.direction == Direction.user, Message.seq >= from_seq)
    if upto_seq is not None:
        statement = statement.where(Message.seq <= upto_seq)
    return list(await db_session.scalars(statement.order_by(Message.seq)))


async def record_choice(*, db_session: AsyncSession, case: Case, from_seq: int, upto_seq: int,
                        withheld_seqs: Sequence[int]) -> list[int]:
    """Keeps the messages the student saw listed and did not leave out; the choice is an event row (counts only)."""
    listed = await student_messages(db_session=db_session, conversation_id=case.conversation_id or 0,
                                    from_seq=from_seq, upto_seq=upto_seq)
    withheld = set(withheld_seqs)
    shared = [m.seq for m in listed if m.seq not in withheld]
    case.shared_seqs = shared
    case.share_transcript = bool(shared)
    await log_event(db_session=db_session, case_id=case.id, actor="student", kind="transcript_chosen",
                    detail=f"shared={len(shared)} left_out={len(listed) - len(shared)}")
    await db_session.commit()
    return shared


def visible_to_officer(case: Case, messages: Sequence[Message]) -> list[Message]:
    """Everything since the case began; from before it, only what the student agreed to share."""
    shared = set(case.shared_seqs) if case.shared_seqs is not None else None
    visible = []
    for message in messages:
        if message.created_at >= case.created_at:
            visible.append(message)
        elif shared is not None:
            if message.direction == Direction.user and message.seq in shared:
                visible.append(message)
        elif case.share_transcript:
            visible.append(message)
    return visible
