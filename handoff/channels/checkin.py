"""The check-in, as the service sees it: when the safety check is unsure, the student is asked directly.

Who asks: the assistant (its `action_check_in`), or the service itself when the assistant is down or the
student is waiting for an officer. Either way the question is stored with `{"check_in": kind}` in its
`extra` (the assistant's reply carries that marker as custom data), and asking raises a low flag, so a
check-in nobody answers stays visible to officers.

Who reads the answer: the service, always, because it is the one that raises the conversation for an
officer. The student's next message after the question is compared with the answers in
data/safety/responses.yml; an answer that shows risk becomes part of that message's verdict (the label
whose response they need, layer `check_in`), so everything downstream (the flag, the queue, the reply
from the assistant or from the service) works as for any other flagged message. The verdict is still
computed once, here; the assistant only reads it.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from sqlalchemy import select

from handoff.assistant.client import Reply
from handoff.cases import service as cases
from handoff.context import AppContext
from handoff.conversations.enums import Direction
from handoff.conversations.models import Conversation, Message
from safety.check_in import (
    FLAG,
    KINDS,
    MARKER,
    SAID_MORE,
    CheckInTexts,
    classify,
    concerning,
    get_check_in,
    kind_for,
    leading_answer,
    showed_no_risk,
)
from safety.replies import shows_risk
from safety.verdict import CHECK_IN, Verdict

logger = logging.getLogger(__name__)

LOW_LEVEL = 1  # a check-in or a low-confidence flag: visible in the queue, never an emergency
BY_SERVICE = "check_in_by_service"  # in a question's extra: the service asked it, not the assistant
LOW_PREFIX = "low:"  # a flag the check raised with low confidence, e.g. "low:suicide_self_harm"


def to_ask(verdict: Verdict | None) -> str | None:
    """The check-in this verdict calls for when nothing else answers the student, or None."""
    if verdict is None:
        return None
    return kind_for(verdict.labels, verdict.check_in, verdict.low_confidence)


async def pending(ctx: AppContext, conversation: Conversation) -> tuple[str | None, bool]:
    """The check-in the conversation's latest message asked (the next message answers it), or None; and
    whether the service asked it itself (then the service answers the reply too)."""
    async with ctx.sessions() as db:
        row = (await db.execute(
            select(Message.direction, Message.extra)
            .where(Message.conversation_id == conversation.id, Message.direction != Direction.system)
            .order_by(Message.seq.desc()).limit(1)
        )).first()
    if row is None or row.direction != Direction.assistant or not isinstance(row.extra, dict):
        return None, False
    kind = row.extra.get(MARKER)
    return (kind, bool(row.extra.get(BY_SERVICE))) if isinstance(kind, str) else (None, False)


def answer(kind: str, verdict: Verdict | None, text: str, payload: str | None,
           severity: Any) -> tuple[Verdict | None, str | None]:
    """The verdict on a reply to a check-in, and what the reply meant (None: not an answer).

    An answer that shows risk adds the check-in's label: the student gets that label's response and the
    conversation is raised for an officer, exactly as if the check had found it in the message itself. A reply the
    lists leave unread (or read only as an answer and then more) is also read by the reply model (safety/replies.py),
    which can only read risk into it, never take it out.
    """
    texts = get_check_in()
    meant = classify(texts, text, payload)
    if meant is None:
        meant = _leading(texts, kind, verdict, text)
    if verdict is not None and not concerning(texts, kind, meant) and shows_risk(kind, text, payload):
        meant = "unsure"  # words the lists do not hold, that the reply model reads as risk: help, never less
    if verdict is not None and meant is not None and verdict.check_in == kind:
        verdict = replace(verdict, check_in=None)  # answered: the same question is not asked straight back
    if verdict is None or not concerning(texts, kind, meant):
        return verdict, meant
    label = texts.label[kind]
    return Verdict(
        labels=verdict.labels | {label}, severity=max(verdict.severity, severity(label)),
        layer=verdict.layer if verdict.flagged else CHECK_IN, score=1.0, low_confidence=verdict.low_confidence,
        rule_ids=verdict.rule_ids,
    ), meant


ANSWERS_LOOKBACK = 500  # the student's messages searched for their latest answer to each check-in


async def answered_without_risk(ctx: AppContext, conversation: Conversation) -> frozenset[str]:
    """The check-ins whose latest answer in this conversation showed no risk ("no" to suicide, "I'm safe")."""
    async with ctx.sessions() as db:
        rows = (await db.execute(
            select(Message.extra)
            .where(Message.conversation_id == conversation.id, Message.direction == Direction.user)
            .order_by(Message.seq.desc()).limit(ANSWERS_LOOKBACK)
        )).scalars().all()
    texts = get_check_in()
    latest: dict[str, str] = {}  # kind -> the student's latest answer to it
    for extra in rows:
        if isinstance(extra, dict) and isinstance(extra.get("check_in_kind"), str) and extra.get("check_in_answer"):
            latest.setdefault(extra["check_in_kind"], extra["check_in_answer"])
    return frozenset(kind for kind, meant in latest.items() if showed_no_risk(texts, kind, meant))


async def worded_as_asked_again(ctx: AppContext, conversation: Conversation, replies: list[Reply]) -> list[Reply]:
    """A check-in asked again after the student's answer to it showed no risk says that they were heard and
    believed, and why it asks again; who asks (the assistant or the service) and what follows are unchanged.

    Only a turn that asks a check-in in a conversation that was asked one before looks at the stored answers.
    """
    marked = [(r, r.custom[MARKER]) for r in replies if r.custom and r.custom.get(MARKER) in KINDS and r.text]
    if not marked or not any(f.startswith("check_in:") for f in conversation.risk_flags or []):
        return replies
    try:
        answered = await answered_without_risk(ctx, conversation)
    except Exception as exc:  # the first wording is still a kind question: a failed read never costs the student it
        logger.error("earlier answers to the check-in could not be read (%s)", type(exc).__name__)  # never the text
        return replies
    texts, channel = get_check_in(), conversation.channel.value
    for reply, kind in marked:
        if kind in answered and reply.text == texts.question(kind, channel):
            reply.text = texts.question(kind, channel, again=True)
    return replies


def _leading(texts: CheckInTexts, kind: str, verdict: Verdict | None, text: str) -> str | None:
    """What a reply that says more than an answer means (see leading_answer), or None.

    An answer that shows risk is always taken. Any other answer (without risk, or "I'd rather not say") is taken when
    what follows only adds to it and the check found no label in the message; when what follows asks something or
    runs on, the reply is not read as an answer. A reply that starts with no answer, or with one that what follows
    turns round ("no but it's crossed my mind"), is not sure when the check sees a sign of the very thing just asked
    about in it. An answer without risk followed by more that carries that sign, without turning it round ("no, it's
    just that nothing will ever get better"), is SAID_MORE: heard and given the numbers, not thanked as a plain no.
    Either way the student is not asked the same question twice in a row. Anything else is not an answer.
    """
    lead = leading_answer(texts, text)
    if lead is not None and concerning(texts, kind, lead.meaning):
        return lead.meaning
    if lead is not None and lead.plain_rest and verdict is not None and not verdict.flagged:
        return lead.meaning
    if verdict is None or verdict.flagged or to_ask(verdict) != kind:
        return None
    if lead is None or lead.turned:
        return "unsure"  # no answer, or one turned round ("no but..."), with a sign of what was just asked about
    return SAID_MORE  # an answer without risk, and more that carries the sign again


def payload_for(kind: str, meant: str) -> str:
    """The quick-reply payload that means this answer to this check-in ("I'm fine" is yes to "are you safe?").

    SAID_MORE goes as "rather not say" (answered, no risk shown); the assistant finds the reading in the metadata."""
    if meant in ("fine", "unsure"):
        meant = {("suicide", "fine"): "no", ("safety", "fine"): "yes",
                 ("suicide", "unsure"): "yes", ("safety", "unsure"): "no"}[(kind, meant)]
    return {"yes": "/affirm", "no": "/deny"}.get(meant, "/check_in_skip")


def low_flags(verdict: Verdict | None) -> list[str]:
    """Flags shown to officers as low confidence: never raised to an emergency level."""
    if verdict is None:
        return []
    return sorted(LOW_PREFIX + label for label in verdict.low_confidence - verdict.labels)


async def raise_low(ctx: AppContext, conversation: Conversation, flags: list[str]) -> bool:
    """Add low flags to the conversation (level at most LOW_LEVEL); True when something was new."""
    if not flags or set(flags) <= set(conversation.risk_flags or []):
        return False
    async with ctx.sessions() as db:
        await cases.raise_risk(db_session=db, conversation=conversation, flags=flags, level=LOW_LEVEL)
    return True


def question(kind: str, channel: str) -> Reply:
    """The check-in the service asks itself, marked so that the next message is read as the answer."""
    texts = get_check_in()
    buttons = [] if channel == "sms" else list(texts.buttons[kind])
    return Reply(text=texts.question(kind, channel), buttons=buttons, custom={MARKER: kind, BY_SERVICE: True})


def reply_to(meant: str, channel: str, kind: str | None = None) -> Reply:
    """What the service says to an answer that shows no risk (or to SAID_MORE, by the kind asked)."""
    return Reply(text=get_check_in().reply_to(meant, channel, kind))


def asked(replies: list[Reply]) -> tuple[list[Reply], str | None]:
    """The assistant's replies with its check-in marker moved onto the question; the kind asked, if any.

    The assistant sends the marker as a separate custom message after the question.
    """
    kind: str | None = None
    out: list[Reply] = []
    for reply in replies:
        marked = reply.custom.get(MARKER) if reply.custom else None
        if isinstance(marked, str) and marked in ("suicide", "safety"):
            kind = marked
            if out and not reply.text:
                out[-1].custom = {MARKER: marked}  # only the kind: the assistant asked, the assistant answers
                continue
        out.append(reply)
    return out, kind


def flag(kind: str) -> str:
    return FLAG.format(kind=kind)
