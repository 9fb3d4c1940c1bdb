"""Deleting cases and conversations with everything that hangs off them, counting what went."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from handoff.cases.models import CallbackRequest, Case, CaseEvent, CaseNote
from handoff.conversations.enums import Channel
from handoff.conversations.models import Conversation, ConversationEvent, Message
from handoff.conversations.phones import SmsContact, SmsOutbound
from handoff.records.models import RecordsAudit

# The order the counts are shown in.
KINDS = ("cases", "case_notes", "case_events", "callbacks", "conversations", "messages", "conversation_events",
         "sms_contacts", "sms_outbound", "audit_events")


@dataclass
class Removed:
    """Rows deleted, by kind, and what other systems may still hold a copy of."""

    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    rasa_senders: list[str] = field(default_factory=list)  # the assistant's sender id is the public id
    twilio_sids: list[str] = field(default_factory=list)

    def add(self, other: Removed) -> None:
        for kind, number in other.counts.items():
            self.counts[kind] = self.counts.get(kind, 0) + number
        self.rasa_senders += other.rasa_senders
        self.twilio_sids += other.twilio_sids

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def _count(result: object) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


async def remove(
    *, db_session: AsyncSession, case_ids: Iterable[int] = (), conversation_ids: Iterable[int] = (),
    contact_ids: Iterable[int] = (),
) -> Removed:
    """Delete the cases (notes, events, call-backs), the conversations (messages, events, SMS records) and the
    SMS contacts given, in one transaction that the caller commits."""
    cases, conversations, contacts = sorted(set(case_ids)), sorted(set(conversation_ids)), sorted(set(contact_ids))
    removed = Removed()
    counts = removed.counts
    if conversations:
        removed.rasa_senders = list(await db_session.scalars(
            select(Conversation.public_id).where(Conversation.id.in_(conversations))
        ))
        removed.twilio_sids = [sid for sid in await db_session.scalars(
            select(SmsOutbound.provider_sid).where(SmsOutbound.conversation_id.in_(conversations))
        ) if sid]
        removed.twilio_sids += [sid for sid in await db_session.scalars(
            select(Message.channel_message_id).join(Conversation, Message.conversation_id == Conversation.id)
            .where(Message.conversation_id.in_(conversations), Conversation.channel == Channel.sms)
        ) if sid]
    if cases:
        counts["case_notes"] += _count(await db_session.execute(delete(CaseNote).where(CaseNote.case_id.in_(cases))))
        counts["case_events"] += _count(
            await db_session.execute(delete(CaseEvent).where(CaseEvent.case_id.in_(cases)))
        )
        counts["callbacks"] += _count(
            await db_session.execute(delete(CallbackRequest).where(CallbackRequest.case_id.in_(cases)))
        )
        counts["cases"] += _count(await db_session.execute(delete(Case).where(Case.id.in_(cases))))
    if conversations:
        in_conversations = SmsContact.conversation_id.in_(conversations)
        contact_query = select(SmsContact.id).where(in_conversations)
        contacts = sorted(set(contacts) | set(await db_session.scalars(contact_query)))
        counts["sms_outbound"] += _count(
            await db_session.execute(delete(SmsOutbound).where(SmsOutbound.conversation_id.in_(conversations)))
        )
        counts["messages"] += _count(
            await db_session.execute(delete(Message).where(Message.conversation_id.in_(conversations)))
        )
        counts["conversation_events"] += _count(await db_session.execute(
            delete(ConversationEvent).where(ConversationEvent.conversation_id.in_(conversations))
        ))
        counts["conversations"] += _count(
            await db_session.execute(delete(Conversation).where(Conversation.id.in_(conversations)))
        )
    if contacts:
        counts["sms_contacts"] += _count(
            await db_session.execute(delete(SmsContact).where(SmsContact.id.in_(contacts)))
        )
    return removed


async def log_action(
    *, db_session: AsyncSession, kind: str, actor: str, counts: dict[str, int], subject_kind: str | None = None,
    subject_hash: str | None = None,
) -> RecordsAudit:
    """Add the count-only record of a purge or an erasure (the caller commits)."""
    row = RecordsAudit(kind=kind, actor=actor[:64], counts={k: int(v) for k, v in counts.items()},
                       subject_kind=subject_kind, subject_hash=subject_hash)
    db_session.add(row)
    return row


def describe(counts: dict[str, int]) -> str:
    """'2 cases, 5 messages, ...' (kinds with nothing removed are left out)."""
    words = {"cases": ("case", "cases"), "case_notes": ("case note", "case notes"),
             "case_events": ("case history entry", "case history entries"),
             "callbacks": ("call-back request", "call-back requests"),
             "conversations": ("conversation", "conversations"), "messages": ("message", "messages"),
             "conversation_events": ("conversation event", "conversation events"),
             "sms_contacts": ("phone contact", "phone contacts"),
             "sms_outbound": ("SMS send record", "SMS send records"),
             "audit_events": ("security log entry", "security log entries")}
    parts = [f"{n} {words.get(k, (k, k))[0 if n == 1 else 1]}" for k, n in counts.items() if n]
    return ", ".join(parts) if parts else "nothing"
