"""The officer console's API. Every route checks the signed-in officer and their rights (the live socket is in
console/socket.py)."""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Request, Response
from pydantic import BaseModel, Field

from handoff.api.deps import CtxDep, SessionDep
from handoff.cases import flows, queries, sharing
from handoff.cases import service as cases
from handoff.cases.enums import CATEGORIES, OUTCOMES
from handoff.cases.models import CallbackRequest, Case
from handoff.cases.permissions import may_read, sees_all
from handoff.conversations import service as conversations
from handoff.conversations.enums import Direction, Owner
from handoff.conversations.events import message_event
from handoff.conversations.models import Conversation, Message
from handoff.core.text import StoredText
from handoff.officers import audit, csrf
from handoff.officers.audit import AuditedRoute
from handoff.officers.deps import OfficerDep
from handoff.officers.models import Officer
from safety.check_in import ANSWERS, KINDS

logger = logging.getLogger(__name__)
router = APIRouter(prefix="/api/console", tags=["console"], route_class=AuditedRoute)  # 401/403 are audited


class DutyIn(BaseModel):
    on_duty: bool


class ReplyIn(BaseModel):
    text: StoredText = Field(min_length=1, max_length=2000)


class CloseIn(BaseModel):
    outcome: str
    category: str


class NoteIn(BaseModel):
    text: StoredText = Field(min_length=1, max_length=5000)


async def _conversation(db: SessionDep, public_id: str) -> Conversation:
    conversation = await conversations.get_by_public_id(db_session=db, public_id=public_id)
    if conversation is None:
        raise HTTPException(status_code=404, detail="no such conversation")
    return conversation


async def _conversation_id(db: SessionDep, public_id: str) -> int:
    """The conversation's row id, with the request's database connection handed back to the pool.

    The flows open their own sessions: holding this one as well would take two connections per request,
    and a burst of officers acting at once could use up the pool.
    """
    conversation_id = (await _conversation(db, public_id)).id
    await db.commit()  # nothing to write: this ends the transaction and keeps loaded objects (the officer) usable
    return conversation_id


def _queue_row(conversation: Conversation, case: Case | None) -> dict[str, Any]:
    return {
        "conversation": conversation.public_id, "channel": conversation.channel.value,
        "owner": conversation.owner.value,
        "risk_level": conversation.risk_level, "risk_flags": conversation.risk_flags,
        "waiting_since": conversation.owner_since.isoformat(),
        "reference": case.reference if case else None, "goal": case.goal.value if case else None,
        "assigned_officer_id": case.assigned_officer_id if case else None,
    }


@router.get("/me")
async def me(request: Request, response: Response, officer: OfficerDep) -> dict[str, Any]:
    """Who is signed in, the lists the console needs, and the CSRF token for changes (the same scheme as the forms:
    a browser without the token's cookie yet is given it here)."""
    given = csrf.token(request)
    csrf.remember(request, response)
    return {"id": officer.id, "name": officer.display_name, "role": officer.role.value, "on_duty": officer.on_duty,
            "categories": CATEGORIES, "outcomes": OUTCOMES, "csrf_token": given}


@router.post("/duty")
async def duty(request: Request, body: DutyIn, officer: OfficerDep, db: SessionDep) -> dict[str, bool]:
    """Switch duty on or off; a change is audited in the same commit."""
    current = await db.get(Officer, officer.id)
    assert current is not None
    if current.on_duty != body.on_duty:  # the audit row and the change are committed together
        current.on_duty = body.on_duty
        await audit.record(db_session=db, action=audit.DUTY_ON if body.on_duty else audit.DUTY_OFF,
                           officer_id=officer.id, target=audit.duty_target(officer.id),
                           client=audit.client_address(request))
    return {"on_duty": current.on_duty}


@router.get("/queue")
async def queue(officer: OfficerDep, db: SessionDep) -> list[dict[str, Any]]:
    """Waiting conversations (highest risk first, then longest wait), and the ones this officer has."""
    return [
        _queue_row(conversation, case) for conversation, case in await queries.queue(db)
        if conversation.owner == Owner.waiting or (case is not None and may_read(officer, case))
    ]


@router.post("/conversations/{public_id}/take")
async def take(public_id: str, officer: OfficerDep, ctx: CtxDep, db: SessionDep) -> dict[str, Any]:
    conversation_id = await _conversation_id(db, public_id)
    await flows.take(ctx, conversation_id, officer)
    return {"taken": True, "conversation": public_id}


@router.get("/conversations/{public_id}")
async def conversation_detail(public_id: str, officer: OfficerDep, db: SessionDep) -> dict[str, Any]:
    """The case and the transcript: earlier messages only if the student agreed to share them."""
    conversation = await _conversation(db, public_id)
    case = await cases.open_case_for(db_session=db, conversation_id=conversation.id)
    if case is None or not may_read(officer, case):
        raise HTTPException(status_code=403, detail="not a case you handle")
    await cases.log_event(db_session=db, case_id=case.id, actor=f"officer:{officer.id}", kind="read")
    await db.commit()
    messages = [m for m in sharing.visible_to_officer(
        case, await conversations.messages_after(db_session=db, conversation_id=conversation.id))
        if not _hidden_greeting(m)]
    return {**_queue_row(conversation, case), "share_transcript": case.share_transcript,
            "trimmed": case.shared_seqs is not None,
            "anonymous": case.anonymous, "messages": [_officer_message(m) for m in messages]}


def _officer_message(message: Message) -> dict[str, Any]:
    """A message as officers see it: with what the safety check raised, and what it saw only weakly.

    Students never receive these fields (their events come from message_event alone).
    """
    event = message_event(message)
    extra = message.extra or {}
    if extra.get("risk"):
        event["risk"] = extra["risk"]
    low = [label for label in extra.get("low_confidence") or [] if label not in (extra.get("risk") or [])]
    if low:
        event["low_confidence"] = low
    kind, meant = extra.get("check_in_kind"), extra.get("check_in_answer")
    if message.direction == Direction.user and kind in KINDS and meant in (*ANSWERS, "none"):
        event["check_in_answer"] = {"kind": kind, "read_as": meant}  # how a reply to a check-in was read
    return event


# The chat page opens a new conversation by sending this, never shown to the student; nor to the officer.
HIDDEN_GREETING = "/greet"


def _hidden_greeting(message: Message) -> bool:
    return message.direction == Direction.user and message.text.strip() == HIDDEN_GREETING


@router.post("/conversations/{public_id}/messages")
async def reply(public_id: str, body: ReplyIn, officer: OfficerDep, ctx: CtxDep, db: SessionDep) -> dict[str, Any]:
    conversation_id = await _conversation_id(db, public_id)
    try:
        message = await flows.officer_message(ctx, conversation_id, officer, body.text.strip())
    except flows.NothingToSend as exc:
        raise HTTPException(status_code=422, detail=str(exc).capitalize() + ".") from None
    return message_event(message)


@router.post("/conversations/{public_id}/handback")
async def hand_back(public_id: str, officer: OfficerDep, ctx: CtxDep, db: SessionDep) -> dict[str, bool]:
    conversation_id = await _conversation_id(db, public_id)
    await flows.hand_back(ctx, conversation_id, officer)
    return {"handed_back": True}


@router.post("/conversations/{public_id}/close")
async def close(public_id: str, body: CloseIn, officer: OfficerDep, ctx: CtxDep, db: SessionDep) -> dict[str, Any]:
    if body.outcome not in OUTCOMES or body.category not in CATEGORIES:
        raise HTTPException(status_code=422, detail="choose an outcome and a category from the lists")
    conversation_id = await _conversation_id(db, public_id)
    case = await flows.close(ctx, conversation_id, officer, outcome=body.outcome, category=body.category)
    return {"closed": True, "reference": case.reference}


async def _readable_case(db: SessionDep, reference: str, officer: Officer) -> Case:
    case = await cases.get_by_reference(db_session=db, reference=reference)
    if case is None:
        raise HTTPException(status_code=404, detail="no case with that reference")
    if not may_read(officer, case):
        raise HTTPException(status_code=403, detail="not a case you handle")
    return case


@router.get("/cases")
async def case_list(officer: OfficerDep, db: SessionDep, reference: str = "") -> list[dict[str, Any]]:
    """Cases this officer may see, newest first; a reference narrows it to that case."""
    found = await queries.cases(db, reference=reference, assigned_to=None if sees_all(officer) else officer.id)
    return [_case_summary(case) for case in found]


def _case_summary(case: Case) -> dict[str, Any]:
    return {
        "reference": case.reference, "status": case.status.value, "goal": case.goal.value, "channel": case.channel,
        "category": case.category, "outcome": case.outcome, "created_at": case.created_at.isoformat(),
        "closed_at": case.closed_at.isoformat() if case.closed_at else None, "out_of_hours": case.out_of_hours,
        "assigned_officer_id": case.assigned_officer_id,
    }


@router.get("/cases/{reference}")
async def case_page(reference: str, officer: OfficerDep, db: SessionDep, ctx: CtxDep) -> dict[str, Any]:
    """A case with its full event history, notes and callback requests. The read itself is recorded."""
    case = await _readable_case(db, reference, officer)
    await cases.log_event(db_session=db, case_id=case.id, actor=f"officer:{officer.id}", kind="read")
    await db.commit()
    events, notes, callbacks = await queries.record(db, case.id)
    return {
        **_case_summary(case),
        "events": [{"at": e.created_at.isoformat(), "actor": e.actor, "kind": e.kind, "detail": e.detail}
                   for e in events],
        "notes": [{"at": n.created_at.isoformat(), "officer_id": n.officer_id, "text": n.text} for n in notes],
        "callbacks": [{"channel": c.preferred_channel, "safe_time": c.safe_time,
                       "contact": ctx.vault.decrypt(c.contact_encrypted), "done": c.done,
                       "leave_message": c.leave_message} for c in callbacks],
    }


@router.post("/cases/{reference}/notes")
async def add_note(reference: str, body: NoteIn, officer: OfficerDep, db: SessionDep) -> dict[str, Any]:
    case = await _readable_case(db, reference, officer)
    note = await cases.add_note(db_session=db, case=case, officer_id=officer.id, text=body.text.strip())
    return {"at": note.created_at.isoformat(), "officer_id": officer.id, "text": note.text}


@router.get("/callbacks")
async def callbacks(officer: OfficerDep, db: SessionDep, ctx: CtxDep) -> list[dict[str, Any]]:
    """Open callback requests, oldest first."""
    return [
        {"id": cb.id, "reference": case.reference, "channel": cb.preferred_channel, "safe_time": cb.safe_time,
         "contact": ctx.vault.decrypt(cb.contact_encrypted), "requested_at": cb.created_at.isoformat(),
         "leave_message": cb.leave_message}
        for cb, case in await queries.open_callbacks(db)
    ]


@router.post("/callbacks/{callback_id}/done")
async def callback_done(
    callback_id: Annotated[int, Path(ge=0, le=2**31 - 1)], officer: OfficerDep, db: SessionDep,  # an INTEGER id
) -> dict[str, Any]:
    """The team got in touch: the call-back leaves the list, and the case's history says who and when."""
    callback = await db.get(CallbackRequest, callback_id)
    if callback is None:
        raise HTTPException(status_code=404, detail="no such call-back")
    if not callback.done:
        callback.done = True
        await cases.log_event(db_session=db, case_id=callback.case_id, actor=f"officer:{officer.id}",
                              kind="callback_done", detail=f"channel={callback.preferred_channel}")
        await db.commit()
    return {"done": True}
