"""What the service says, as replies: the safety response for a verdict, the check-in after it, the quiet line of
help after an answer to a faint sign, the answer to a message too long for the assistant, and what is kept with each
reply (quick replies, the check-in it asks, the policy sections it quoted)."""

from __future__ import annotations

import logging

from handoff.assistant.client import Reply
from handoff.channels import checkin
from handoff.content import service_message
from handoff.conversations.models import Conversation
from safety.responses import safety_response
from safety.verdict import Verdict
from signpost.nation import institution_nation

logger = logging.getLogger(__name__)


def long_message_reply(conversation: Conversation) -> Reply:
    """A message longer than the assistant reads: kept whole for a person, with 24/7 help and the way to one."""
    channel = conversation.channel.value
    buttons = [] if channel == "sms" else [{"title": "Talk to a person", "payload": "/request_person"}]
    return Reply(text=service_message("message_long", channel), buttons=buttons)


def safety_replies(risk: Verdict, conversation: Conversation) -> list[Reply]:
    return label_replies(risk, conversation) + check_in_after(risk, conversation)


# A reply that names one of these already gives 24/7 help: the quiet line is not added to it.
HELP_NUMBERS = ("999", "116 123")


def with_quiet_help(risk: Verdict | None, replies: list[Reply], conversation: Conversation) -> list[Reply]:
    """The replies to a message with a faint sign (`Verdict.faint`) and no label, with one quiet line of 24/7 help
    after them when none of them gives a number: a crisis the check misses is never left without one."""
    if risk is None or risk.faint is None or risk.flagged \
            or any(number in (reply.text or "") for reply in replies for number in HELP_NUMBERS):
        return replies
    try:
        line = service_message("quiet_help", conversation.channel.value)
    except Exception:  # a broken content file never costs the student the answer they already have
        logger.exception("the quiet line of help could not be read")
        return replies
    return [*replies, Reply(text=line)]


def check_in_after(risk: Verdict, conversation: Conversation) -> list[Reply]:
    """A check-in the verdict asks for besides its labels (not an emergency one): asked after their response."""
    kind = checkin.to_ask(risk)
    return [checkin.question(kind, conversation.channel.value)] if kind else []


def label_replies(risk: Verdict, conversation: Conversation) -> list[Reply]:
    kind = "sms" if conversation.channel.value == "sms" else "web"
    nation = institution_nation(conversation.institution_id)  # local SARCs; None names every nation's
    return [Reply(text=text) for text in safety_response(sorted(risk.labels), kind, nation)]


QUOTED = "policy_sections"  # the sections of the institution's policy a reply quoted (actions/lookup.py)


def quoted(replies: list[Reply]) -> list[Reply]:
    """The assistant's replies with the policy sections it quoted moved onto the reply before them.

    The assistant sends them as a separate custom message after the quote; officers see them in the console.
    """
    out: list[Reply] = []
    for reply in replies:
        sections = reply.custom.get(QUOTED) if reply.custom else None
        if isinstance(sections, list) and not reply.text and not reply.buttons:
            if out:
                labels = [s[:120] for s in sections if isinstance(s, str)][:4]
                out[-1].custom = {**(out[-1].custom or {}), QUOTED: labels}
            continue
        out.append(reply)
    return out


def reply_extra(reply: Reply) -> dict[str, object] | None:
    """What is kept with a reply besides its text: its quick replies, the check-in it asks, what it quoted."""
    extra: dict[str, object] = {"buttons": reply.buttons} if reply.buttons else {}
    if reply.custom and reply.custom.get(QUOTED):
        extra[QUOTED] = reply.custom[QUOTED]
    if reply.custom and reply.custom.get(checkin.MARKER):
        extra[checkin.MARKER] = reply.custom[checkin.MARKER]
        if reply.custom.get(checkin.BY_SERVICE):
            extra[checkin.BY_SERVICE] = True
    return extra or None
