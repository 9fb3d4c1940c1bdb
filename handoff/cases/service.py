"""Plain database functions for cases, their events, notes and callback requests."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from handoff.cases.enums import CaseStatus, Goal
from handoff.cases.models import CallbackRequest, Case, CaseEvent, CaseNote
from handoff.content import words_not_in_references
from handoff.conversations.enums import Owner
from handoff.conversations.models import Conversation
from handoff.core.db import utcnow

# No 0/O, 1/I/L, 5/S, 8/B: a reference read out over the phone or copied from a screen stays right.
REFERENCE_ALPHABET = "ACDEFGHJKMNPQRTUVWXY234679"
CODE_LENGTH = 3  # the student's reference ends with a code only they were shown: K7M-4QX-HT6


def _part() -> str:
    """Three random characters, never a word the assistant skips when reading a reference ("REF", "THE")."""
    while (part := "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(3))) in words_not_in_references():
        pass
    return part


def new_reference() -> str:
    """A case reference such as 'K7M-4QX': what officers see, search and quote."""
    return f"{_part()}-{_part()}"


def new_resume_code() -> str:
    """The part of the student's reference that proves it is theirs, such as 'HT6'."""
    return _part()


def split_reference(text: str) -> tuple[str, str]:
    """('K7M-4QX', 'HT6') for 'k7m 4qx ht6', 'K7M4QXHT6' or 'K7M-4QX-HT6'; ('K7M-4QX', '') for 'K7M-4QX';
    ('', '') for anything else."""
    chars = "".join(ch for ch in text.upper() if ch.isalnum())
    if len(chars) not in (6, 6 + CODE_LENGTH):
        return "", ""
    return f"{chars[:3]}-{chars[3:6]}", chars[6:]


def normalise_reference(text: str) -> str:
    """'k7m 4qx', 'K7M4QX', 'K7M-4QX' and the student's 'K7M-4QX-HT6' all name the case 'K7M-4QX'."""
    return split_reference(text)[0]


def student_reference(case: Case) -> str:
    """The reference as the student is given it: the case reference and their code (older cases: no code)."""
    return f"{case.reference}-{case.resume_code}" if case.resume_code else case.reference


async def log_event(*, db_session: AsyncSession, case_id: int, actor: str, kind: str, detail: str = "") -> None:
    """Append to a case's history (no message text ever goes here)."""
    db_session.add(CaseEvent(case_id=case_id, actor=actor, kind=kind, detail=detail[:200]))


async def log_risk_raised(*, db_session: AsyncSession, conversation_id: int, old: int, new: int,
                          labels: Iterable[str]) -> None:
    """A rise in the conversation's risk level, in the history of its open case (if it has one): the two levels
    and the labels that raised it, never the words. Not committed: part of the caller's write."""
    if new <= old:
        return
    case = await open_case_for(db_session=db_session, conversation_id=conversation_id)
    if case is not None:
        await log_event(db_session=db_session, case_id=case.id, actor="system", kind="risk_raised",
                        detail=f"from={old} to={new} labels={','.join(sorted(labels))}")


class RequestIdInUse(ValueError):
    """A handoff request id is already used by a different conversation."""


async def raise_risk(*, db_session: AsyncSession, conversation: Conversation, flags: Iterable[str],
                     level: int) -> None:
    """Add risk flags and raise the conversation's level to at least ``level``, and commit.

    Never lowers what is stored (another socket's copy of the conversation may be older than the row). A rise
    of the level goes in the history of the conversation's open case, with the flags that raised it.
    """
    flags = set(flags)
    stored = (await db_session.execute(
        select(Conversation.risk_level, Conversation.risk_flags).where(Conversation.id == conversation.id)
        .with_for_update()
    )).first()
    old = stored.risk_level if stored is not None else conversation.risk_level
    stored_flags = (stored.risk_flags if stored is not None else None) or []
    merged = sorted(set(stored_flags) | set(conversation.risk_flags or []) | flags)
    new = max(old, conversation.risk_level, level)
    await db_session.execute(
        update(Conversation).where(Conversation.id == conversation.id).values(risk_level=new, risk_flags=merged)
    )
    await log_risk_raised(db_session=db_session, conversation_id=conversation.id, old=old, new=new,
                                labels=flags)
    await db_session.commit()
    conversation.risk_level, conversation.risk_flags = new, merged


async def create_for_request(
    *, db_session: AsyncSession, conversation: Conversation, request_id: str, goal: Goal,
    share_transcript: bool, anonymous: bool, out_of_hours: bool, answered: bool = True,
) -> tuple[Case, bool]:
    """The case for a handoff request, created exactly once; returns (case, created).

    ``answered``: the choices are the student's own answers (not the service's defaults), so they replace
    those of an open case when the student asks again."""
    existing = await db_session.scalar(select(Case).where(Case.request_id == request_id))
    if existing is not None and existing.conversation_id != conversation.id:
        raise RequestIdInUse("that request id belongs to another conversation")
    if existing is None:
        existing = await open_case_for(db_session=db_session, conversation_id=conversation.id)
        if existing is not None and answered:  # asked again (after a hand back): the latest answers stand
            await _update_choices(db_session, existing, goal=goal, share_transcript=share_transcript,
                                  anonymous=anonymous)
    if existing is not None:
        return existing, False
    for _ in range(5):
        case = Case(
            reference=new_reference(), resume_code=new_resume_code(), request_id=request_id,
            conversation_id=conversation.id,
            institution_id=conversation.institution_id, channel=conversation.channel.value, goal=goal,
            share_transcript=share_transcript, anonymous=anonymous, out_of_hours=out_of_hours,
        )
        db_session.add(case)
        try:
            await db_session.flush()
        except IntegrityError:
            await db_session.rollback()
            again = await db_session.scalar(select(Case).where(Case.request_id == request_id))
            if again is not None and again.conversation_id != conversation.id:
                raise RequestIdInUse("that request id belongs to another conversation") from None
            if again is not None:  # the same request, racing: the other one created it
                return again, False
            continue  # a reference collision: draw another
        await log_event(db_session=db_session, case_id=case.id, actor="student", kind="created",
                        detail=f"goal={goal.value} share_transcript={share_transcript} anonymous={anonymous}")
        await db_session.commit()
        return case, True
    raise RuntimeError("could not draw a free case reference")


async def _update_choices(db_session: AsyncSession, case: Case, *, goal: Goal, share_transcript: bool,
                          anonymous: bool) -> None:
    if (case.goal, case.share_transcript, case.anonymous) == (goal, share_transcript, anonymous):
        return
    case.goal, case.share_transcript, case.anonymous = goal, share_transcript, anonymous
    await log_event(db_session=db_session, case_id=case.id, actor="student", kind="choices_updated",
                    detail=f"goal={goal.value} share_transcript={share_transcript} anonymous={anonymous}")
    await db_session.commit()


async def open_case_for(*, db_session: AsyncSession, conversation_id: int) -> Case | None:
    """The open case of a conversation, if it has one."""
    return await db_session.scalar(
        select(Case).where(Case.conversation_id == conversation_id, Case.status == CaseStatus.open)
    )


async def get_by_reference(*, db_session: AsyncSession, reference: str) -> Case | None:
    """The case a reference names (the student's form, with its code, names the same case)."""
    reference = normalise_reference(reference)
    if not reference:
        return None
    return await db_session.scalar(select(Case).where(Case.reference == reference))


async def queue_position(*, db_session: AsyncSession, conversation: Conversation) -> int:
    """1 for the next person an officer will see; ordered by risk, then by waiting time."""
    ahead = await db_session.scalar(
        select(func.count(Conversation.id)).where(
            Conversation.owner == Owner.waiting,
            Conversation.id != conversation.id,
            or_(
                Conversation.risk_level > conversation.risk_level,
                (Conversation.risk_level == conversation.risk_level)
                & (Conversation.owner_since < conversation.owner_since),
            ),
        )
    )
    return int(ahead or 0) + 1


async def add_note(*, db_session: AsyncSession, case: Case, officer_id: int, text: str) -> CaseNote:
    note = CaseNote(case_id=case.id, officer_id=officer_id, text=text)
    db_session.add(note)
    await log_event(db_session=db_session, case_id=case.id, actor=f"officer:{officer_id}", kind="note_added")
    await db_session.commit()
    return note


async def close(*, db_session: AsyncSession, case: Case, officer_id: int, outcome: str, category: str,
                commit: bool = True) -> Case:
    """Close the case with its outcome and category, and commit (``commit=False``: flushed in the caller's
    transaction, which commits it)."""
    case.status, case.outcome, case.category, case.closed_at = CaseStatus.closed, outcome, category, utcnow()
    await log_event(db_session=db_session, case_id=case.id, actor=f"officer:{officer_id}", kind="closed",
                    detail=f"outcome={outcome} category={category}")
    if commit:
        await db_session.commit()
    else:
        await db_session.flush()
    return case


async def mark_first_response(*, db_session: AsyncSession, case: Case, at: datetime) -> None:
    if case.first_response_at is None:
        case.first_response_at = at
        await db_session.commit()


def leave_message_words(leave_message: bool | None) -> str:
    return {True: "yes", False: "no", None: "not asked"}[leave_message]


async def add_callback(
    *, db_session: AsyncSession, case: Case, preferred_channel: str, safe_time: str, contact_encrypted: str,
    leave_message: bool | None = None,
) -> CallbackRequest:
    callback = CallbackRequest(case_id=case.id, preferred_channel=preferred_channel, safe_time=safe_time,
                               contact_encrypted=contact_encrypted, leave_message=leave_message)
    db_session.add(callback)
    await log_event(db_session=db_session, case_id=case.id, actor="student", kind="callback_requested",
                    detail=f"channel={preferred_channel} leave_message={leave_message_words(leave_message)}")
    await db_session.commit()
    return callback
