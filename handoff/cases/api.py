"""The API the action server calls during a turn: handoff requests, callbacks, coming back with a reference."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel, Field
from sqlalchemy import delete, select

from handoff.api.deps import CtxDep
from handoff.assistant.tracker import TrackerStore, forget_after_turn
from handoff.cases import flows, sharing
from handoff.cases import service as cases
from handoff.cases.enums import Goal
from handoff.cases.models import Case
from handoff.context import AppContext
from handoff.conversations import service as conversations
from handoff.conversations.models import Conversation, Message
from handoff.core.security import constant_time_equals


def require_api_token(request: Request) -> None:
    """Only the action server (holding HANDOFF_API_TOKEN) may call these endpoints."""
    ctx: AppContext = request.app.state.ctx
    expected = ctx.settings.handoff_api_token
    if not expected:
        if ctx.settings.production:
            raise HTTPException(status_code=503, detail="HANDOFF_API_TOKEN is not configured")
        return  # development: the three processes run on this machine only
    given = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
    if not constant_time_equals(given, expected):
        raise HTTPException(status_code=401, detail="a valid bearer token is required")


router = APIRouter(prefix="/api", tags=["assistant"], dependencies=[Depends(require_api_token)])

SenderId = Annotated[str, Field(min_length=1, max_length=32)]


class HandoffRequestIn(BaseModel):
    sender_id: SenderId
    request_id: str = Field(min_length=1, max_length=128)
    goal: Goal
    share_transcript: bool
    anonymous: bool = True
    share_choice: ShareChoiceIn | None = None


class ShareChoiceIn(BaseModel):
    """The student saw their messages from from_seq to upto_seq listed, and left these out."""

    from_seq: int = Field(default=0, ge=0)
    upto_seq: int = Field(ge=0)
    withheld_seqs: list[int] = Field(default_factory=list, max_length=2000)


class SharePreviewIn(BaseModel):
    sender_id: SenderId


class CallbackRequestIn(BaseModel):
    sender_id: SenderId
    request_id: str = Field(min_length=1, max_length=128)
    preferred_channel: Literal["phone", "sms", "email"]
    safe_time: str = Field(min_length=1, max_length=200)
    contact: str = Field(min_length=3, max_length=254)
    leave_message: bool | None = None


class ResumeIn(BaseModel):
    sender_id: SenderId
    reference: str = Field(min_length=6, max_length=24)  # as typed: K7M-4QX-HT6, k7m 4qx ht6, ...


async def _conversation(ctx: AppContext, sender_id: str) -> Conversation:
    """The conversation the assistant is answering right now; refused if no turn of it is in progress."""
    if await ctx.turns.client_of(sender_id) is None:
        # The actions act during the turn the service sent to the assistant; a call at any other time (a
        # replay, or someone who reached the action server) does not get to pick a conversation.
        raise HTTPException(status_code=409, detail="no assistant turn is in progress for that conversation")
    async with ctx.sessions() as db:
        conversation = await conversations.get_by_public_id(db_session=db, public_id=sender_id)
    if conversation is None:
        raise HTTPException(status_code=404, detail="no such conversation")
    return conversation


@router.post("/handoff-requests")
async def handoff_request(body: HandoffRequestIn, ctx: CtxDep) -> dict[str, object]:
    """Create the case (once per request) and join the queue, or say when the team is next in."""
    conversation = await _conversation(ctx, body.sender_id)
    chose = body.share_choice is not None and body.share_transcript
    try:
        outcome = await flows.request_handoff(
            ctx, conversation, request_id=body.request_id, goal=body.goal,
            # A trimmed transcript starts hidden, so no officer can see more than was chosen even for a moment.
            share_transcript=body.share_transcript and not chose, anonymous=body.anonymous,
        )
    except cases.RequestIdInUse as exc:
        raise HTTPException(status_code=409, detail=str(exc)) from exc
    if chose and outcome.created and body.share_choice is not None:
        async with ctx.sessions() as db:
            case = await db.get(Case, outcome.case.id)
            assert case is not None
            await sharing.record_choice(db_session=db, case=case, from_seq=body.share_choice.from_seq,
                                        upto_seq=body.share_choice.upto_seq,
                                        withheld_seqs=body.share_choice.withheld_seqs)
    return outcome.as_json()


@router.post("/share-preview")
async def share_preview(body: SharePreviewIn, ctx: CtxDep) -> dict[str, object]:
    """The student's own messages so far: what the share question lists for them (by text, numbered)."""
    conversation = await _conversation(ctx, body.sender_id)
    async with ctx.sessions() as db:
        listed = await sharing.student_messages(db_session=db, conversation_id=conversation.id)
    return {"messages": [{"seq": m.seq, "text": m.text} for m in listed]}


@router.post("/callback-requests")
async def callback_request(body: CallbackRequestIn, ctx: CtxDep) -> dict[str, object]:
    """Out of hours: record how and when the team may get in touch (the contact is stored encrypted)."""
    conversation = await _conversation(ctx, body.sender_id)
    async with ctx.sessions() as db:
        case = await cases.open_case_for(db_session=db, conversation_id=conversation.id)
        if case is None:
            case, _ = await cases.create_for_request(
                db_session=db, conversation=conversation, request_id=body.request_id, goal=Goal.talk,
                share_transcript=False, anonymous=False, out_of_hours=True,
            )
        await cases.add_callback(
            db_session=db, case=case, preferred_channel=body.preferred_channel, safe_time=body.safe_time,
            contact_encrypted=ctx.vault.encrypt(body.contact), leave_message=body.leave_message,
        )
        return {"reference": cases.student_reference(case)}


@router.post("/cases/resume")
async def resume(body: ResumeIn, ctx: CtxDep) -> dict[str, object]:
    """A student came back with their reference: this conversation joins that case, if the code is right.

    A wrong reference, a wrong code, an older case without a code and a try over the limit all get the same
    answer, so the reply never says whether a reference exists. Tries count per client and per reference.
    """
    conversation = await _conversation(ctx, body.sender_id)
    client = await ctx.turns.client_of(body.sender_id) or f"conversation:{body.sender_id}"
    reference, code = cases.split_reference(body.reference)
    if not await ctx.resume_limits.attempt(client=client, reference=reference or "unreadable"):
        return {"found": False}
    async with ctx.sessions() as db:
        case = await cases.get_by_reference(db_session=db, reference=reference) if reference else None
        if (case is None or case.institution_id != conversation.institution_id or not case.resume_code
                or not constant_time_equals(code, case.resume_code)):
            return {"found": False}
        if case.conversation_id != conversation.id:
            case.conversation_id = conversation.id
            await cases.log_event(db_session=db, case_id=case.id, actor="student", kind="resumed",
                                  detail=f"from=new_conversation channel={conversation.channel.value}")
            await db.commit()
        return {"found": True, "reference": cases.student_reference(case), "status": case.status.value}


@router.get("/team-availability")
async def team_availability(ctx: CtxDep) -> dict[str, object]:
    """Whether someone can join a chat now, and when the team is next in."""
    async with ctx.sessions() as db:
        team = await flows.team_availability(ctx, db)
    return {"available": team.available, "in_hours": team.in_hours, "next_open_words": team.next_open_words()}


class EraseIn(BaseModel):
    sender_id: SenderId


@router.post("/conversations/erase")
async def erase(body: EraseIn, ctx: CtxDep) -> dict[str, object]:
    """The student asked to delete their chat: remove its messages, unless it is part of a case."""
    conversation = await _conversation(ctx, body.sender_id)
    async with ctx.sessions() as db:
        has_case = await db.scalar(select(Case.id).where(Case.conversation_id == conversation.id).limit(1))
        if has_case is not None:
            return {"erased": 0, "kept_for_case": True}
        result = await db.execute(delete(Message).where(Message.conversation_id == conversation.id))
        await db.commit()
    erased = result.rowcount or 0  # type: ignore[attr-defined]
    # The assistant's own copy (its tracker), when Rasa keeps trackers in Redis or SQL: once this turn is over,
    # since Rasa saves the tracker again at the end of the turn that asked for the deletion.
    store = TrackerStore.from_settings(ctx.settings)
    if store.persistent:
        ctx.spawn(forget_after_turn(ctx.conversation_lock(conversation.public_id), store, conversation.public_id,
                                    grace=ctx.settings.rasa_timeout))
    return {"erased": erased, "kept_for_case": False}
