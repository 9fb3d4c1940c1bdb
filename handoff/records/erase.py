"""Erasure on request: every copy of one case, or of everything from one phone number."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from handoff.assistant.tracker import TrackerStore
from handoff.cases.models import CallbackRequest, Case
from handoff.cases.service import normalise_reference
from handoff.conversations.phones import SmsContact
from handoff.core.config import Settings
from handoff.core.crypto import DecryptionFailed, Vault
from handoff.records.removal import Removed, log_action, remove

logger = logging.getLogger(__name__)

E164 = re.compile(r"\+[1-9][0-9]{6,14}")


def normalise_phone(text: str) -> str:
    """'+44 7700 900123', '07700 900123' and '00447700900123' are all '+447700900123' (UK numbers assumed)."""
    number = re.sub(r"[\s().-]", "", text or "")
    if number.startswith("00"):
        number = "+" + number[2:]
    elif number.startswith("0"):
        number = "+44" + number[1:]
    if not E164.fullmatch(number):
        raise ValueError("that is not a phone number: write it in full, such as +447700900123")
    return number


def subject_hash(vault: Vault, kind: str, value: str) -> str:
    """The keyed hash the records log keeps, so a later request about the same case or number can be matched."""
    return vault.lookup_hash(f"erasure:{kind}:{value}")


@dataclass
class Erasure:
    """What an erasure found and removed, and what other systems were told."""

    found: bool
    removed: Removed = field(default_factory=Removed)
    notes: list[str] = field(default_factory=list)


async def _cases_of(db_session: AsyncSession, conversation_ids: set[int]) -> set[int]:
    if not conversation_ids:
        return set()
    return set(await db_session.scalars(select(Case.id).where(Case.conversation_id.in_(conversation_ids))))


async def _conversations_of(db_session: AsyncSession, case_ids: set[int]) -> set[int]:
    if not case_ids:
        return set()
    found = await db_session.scalars(select(Case.conversation_id).where(Case.id.in_(case_ids)))
    return {c for c in found if c is not None}


async def _callbacks_with_number(db_session: AsyncSession, vault: Vault, phone: str) -> set[int]:
    """Cases whose call-back contact is this number (the contact is encrypted, so each one is read)."""
    cases = set()
    rows = await db_session.execute(select(CallbackRequest.case_id, CallbackRequest.contact_encrypted))
    for case_id, token in rows:
        try:
            contact = vault.decrypt(token)
        except DecryptionFailed:
            continue
        try:
            if normalise_phone(contact) == phone:
                cases.add(case_id)
        except ValueError:
            continue  # an email address, or words
    return cases


async def find_case(*, db_session: AsyncSession, reference: str) -> tuple[set[int], set[int], set[int]]:
    """The case, its conversation, any other case in that conversation, and the SMS contact using it."""
    case = await db_session.scalar(select(Case).where(Case.reference == normalise_reference(reference)))
    if case is None:
        return set(), set(), set()
    conversations = await _conversations_of(db_session, {case.id})
    cases = {case.id} | await _cases_of(db_session, conversations)
    contacts: set[int] = set()
    if conversations:
        contacts = set(await db_session.scalars(
            select(SmsContact.id).where(SmsContact.conversation_id.in_(conversations))
        ))
    return cases, conversations, contacts


async def find_phone(*, db_session: AsyncSession, vault: Vault, phone: str) -> tuple[set[int], set[int], set[int]]:
    """The number's SMS contact and conversation, cases in it, and cases with this number as call-back contact."""
    contact = await db_session.scalar(select(SmsContact).where(SmsContact.phone_hash == vault.lookup_hash(phone)))
    contacts = {contact.id} if contact is not None else set()
    conversations = {contact.conversation_id} if contact is not None and contact.conversation_id else set()
    cases = await _cases_of(db_session, conversations) | await _callbacks_with_number(db_session, vault, phone)
    conversations |= await _conversations_of(db_session, cases)
    cases |= await _cases_of(db_session, conversations)
    return cases, conversations, contacts


async def erase(
    *, db_session: AsyncSession, vault: Vault, settings: Settings, actor: str, case_reference: str | None = None,
    phone: str | None = None, tracker_store: TrackerStore | None = None,
) -> Erasure:
    """Delete every copy for one case reference or one phone number, and leave a count-only records-log row."""
    if (case_reference is None) == (phone is None):
        raise ValueError("give either a case reference or a phone number")
    if case_reference is not None:
        reference = normalise_reference(case_reference)
        if not reference:
            raise ValueError("that is not a case reference: it has six letters and digits, such as K7M-4QX")
        cases, conversations, contacts = await find_case(db_session=db_session, reference=reference)
        kind, value = "case", reference
    else:
        value = normalise_phone(phone or "")
        cases, conversations, contacts = await find_phone(db_session=db_session, vault=vault, phone=value)
        kind = "phone"
    if not (cases or conversations or contacts):
        await db_session.rollback()
        return Erasure(found=False)
    removed = await remove(db_session=db_session, case_ids=cases, conversation_ids=conversations,
                           contact_ids=contacts)
    await log_action(db_session=db_session, kind="erasure", actor=actor, counts=removed.counts, subject_kind=kind,
                     subject_hash=subject_hash(vault, kind, value))
    await db_session.commit()
    erasure = Erasure(found=True, removed=removed)
    erasure.notes.append(await (tracker_store or TrackerStore.from_settings(settings)).forget_and_describe(
        removed.rasa_senders, what="the conversation" if len(removed.rasa_senders) == 1 else "the conversations"
    ))
    erasure.notes.append(await delete_from_twilio(settings, removed.twilio_sids))
    return erasure


async def delete_from_twilio(settings: Settings, sids: list[str]) -> str:
    """Twilio keeps message bodies in its logs: delete them there when real credentials are configured."""
    if not sids:
        return "Twilio: no SMS messages to delete."
    if not (settings.twilio_account_sid and settings.twilio_auth_token):
        return (f"Twilio: credentials are not configured here, so Twilio still holds {len(sids)} message"
                f"{'s' if len(sids) != 1 else ''} (with their text). Delete them in the Twilio console: "
                + ", ".join(sids))
    from handoff.core.twilio import SmsSender

    sender = SmsSender(account_sid=settings.twilio_account_sid, auth_token=settings.twilio_auth_token,
                       from_number=settings.twilio_from_number, api_base=settings.twilio_base)
    deleted, gone, failed = 0, 0, []
    for sid in sids:
        try:
            if await sender.delete(sid):
                deleted += 1
            else:
                gone += 1
        except Exception as exc:  # Twilio refused (a message still being sent cannot be deleted yet)
            logger.warning("Twilio refused to delete a message: %s", type(exc).__name__)
            failed.append(sid)
    words = f"Twilio: deleted {deleted} message{'s' if deleted != 1 else ''}"
    if gone:
        words += f"; {gone} no longer there"
    if failed:
        words += (f". Twilio refused {len(failed)} (try again in a few minutes, or delete them in the Twilio "
                  "console): " + ", ".join(failed))
    return words + "."
