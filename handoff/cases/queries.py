"""What the console reads about conversations and cases: the queue, lists of cases, a case's record, open call-backs.

Reads only, with no HTTP in them: the console's API decides who may see what and turns the rows into JSON.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from handoff.cases.models import CallbackRequest, Case, CaseEvent, CaseNote
from handoff.cases.service import normalise_reference
from handoff.conversations.enums import Owner
from handoff.conversations.models import Conversation

CASE_LIST_LIMIT = 200


async def queue(db: AsyncSession) -> list[tuple[Conversation, Case | None]]:
    """Conversations waiting for a person or with one, each with its open case: highest risk first, then the
    longest wait."""
    rows = (await db.execute(
        select(Conversation, Case)
        .outerjoin(Case, (Case.conversation_id == Conversation.id) & (Case.status == "open"))
        .where(Conversation.owner.in_([Owner.waiting, Owner.human]))
        .order_by(Conversation.risk_level.desc(), Conversation.owner_since)
    )).all()
    return [(conversation, case) for conversation, case in rows]


async def cases(db: AsyncSession, *, reference: str = "", assigned_to: int | None = None) -> list[Case]:
    """Cases, newest first (at most CASE_LIST_LIMIT); a reference narrows it to that case, and ``assigned_to`` to
    the cases of one officer."""
    statement = select(Case).order_by(Case.created_at.desc()).limit(CASE_LIST_LIMIT)
    if reference:
        statement = statement.where(Case.reference == normalise_reference(reference))
    if assigned_to is not None:
        statement = statement.where(Case.assigned_officer_id == assigned_to)
    return list(await db.scalars(statement))


async def record(db: AsyncSession, case_id: int) -> tuple[list[CaseEvent], list[CaseNote], list[CallbackRequest]]:
    """A case's history in order: its events, its notes and its call-back requests."""
    events = await db.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id))
    notes = await db.scalars(select(CaseNote).where(CaseNote.case_id == case_id).order_by(CaseNote.id))
    callbacks = await db.scalars(select(CallbackRequest).where(CallbackRequest.case_id == case_id))
    return list(events), list(notes), list(callbacks)


async def open_callbacks(db: AsyncSession) -> list[tuple[CallbackRequest, Case]]:
    """Call-back requests nobody has dealt with yet, oldest first, each with its case."""
    rows = (await db.execute(
        select(CallbackRequest, Case).join(Case, Case.id == CallbackRequest.case_id)
        .where(CallbackRequest.done.is_(False)).order_by(CallbackRequest.created_at)
    )).all()
    return [(callback, case) for callback, case in rows]
