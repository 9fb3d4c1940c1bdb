"""Shared set-up for the records tests (key rotation, retention, erasure): real rows in the test database.

No tests here: helpers that store conversations, cases and SMS records the way the service does.
"""

from __future__ import annotations

import contextlib
import io
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import func, select, text

from handoff.cases import service as cases
from handoff.cases.enums import CaseStatus, Goal
from handoff.channels.sms import service as sms
from handoff.conversations import service as conversations
from handoff.conversations.enums import Channel, Direction
from handoff.conversations.models import Conversation, Message
from handoff.conversations.phones import SmsOutbound
from handoff.core import crypto
from handoff.core.config import Settings, get_settings
from handoff.core.crypto import Vault
from handoff.core.db import utcnow

from ..db_helpers import run_db


def run(settings: Settings, fn, vault: Vault | None = None) -> Any:
    """Run ``fn(db_session)`` with the settings' vault configured for the encrypted columns."""
    crypto.configure(vault or Vault.from_settings(settings))
    return run_db(settings, fn)


@dataclass
class Stored:
    conversation_id: int
    public_id: str
    case_id: int | None = None
    reference: str | None = None


async def conversation_with(db, words: list[str], *, channel: Channel = Channel.webchat) -> Stored:
    conversation, _ = await conversations.create(db_session=db, channel=channel, institution_id="example")
    for seq, words_said in enumerate(words, start=1):
        db.add(Message(conversation_id=conversation.id, seq=seq, direction=Direction.user, text=words_said, extra={}))
    conversation.last_seq = len(words)
    await db.commit()
    return Stored(conversation.id, conversation.public_id)


async def case_for(db, stored: Stored, *, note: str = "", callback_contact: str = "", vault: Vault | None = None,
                   closed: bool = False) -> Stored:
    conversation = await db.get(Conversation, stored.conversation_id)
    case, _ = await cases.create_for_request(
        db_session=db, conversation=conversation, request_id=f"req-{stored.public_id}", goal=Goal.talk,
        share_transcript=True, anonymous=True, out_of_hours=False,
    )
    if note:
        await cases.add_note(db_session=db, case=case, officer_id=None, text=note)
    if callback_contact:
        await cases.add_callback(db_session=db, case=case, preferred_channel="phone", safe_time="after 6pm",
                                 contact_encrypted=(vault or crypto.active_vault()).encrypt(callback_contact))
    if closed:
        case.status, case.closed_at = CaseStatus.closed, utcnow()
        await db.commit()
    stored.case_id, stored.reference = case.id, case.reference
    return stored


async def sms_conversation(db, vault: Vault, phone: str, words: list[str], *, provider_sids: tuple[str, ...] = (),
                           inbound_sid: str | None = None) -> Stored:
    contact = await sms.get_or_create_contact(db_session=db, vault=vault, phone=phone)
    conversation = await sms.current_conversation(db_session=db, contact=contact, institution_id="example")
    for seq, words_said in enumerate(words, start=1):
        db.add(Message(conversation_id=conversation.id, seq=seq, direction=Direction.user, text=words_said, extra={},
                       channel_message_id=inbound_sid if seq == 1 else None))
    for sid in provider_sids:
        db.add(SmsOutbound(conversation_id=conversation.id, provider_sid=sid, status="delivered"))
    await db.commit()
    return Stored(conversation.id, conversation.public_id)


async def count_rows(db, table: str) -> int:
    return int(await db.scalar(select(func.count()).select_from(text(table))))


async def all_counts(db) -> dict[str, int]:
    tables = ("conversations", "messages", "conversation_events", "cases", "case_notes", "case_events",
              "callback_requests", "sms_contacts", "sms_outbound", "records_audit")
    return {t: await count_rows(db, t) for t in tables}


async def dump(db, table: str) -> str:
    return " ".join(str(tuple(r)) for r in (await db.execute(text(f"SELECT * FROM {table}"))).all())


@contextlib.contextmanager
def command_env(monkeypatch: pytest.MonkeyPatch, settings: Settings, **env: str) -> Iterator[None]:
    """``python -m handoff`` in this process, reading these settings from the environment as it would."""
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("INSTITUTION_ID", settings.institution_id)
    for name in ("ENCRYPTION_KEYS", "RASA_TRACKER_STORE_URL", "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN",
                 "TWILIO_API_BASE"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    try:
        yield
    finally:
        get_settings.cache_clear()


def run_command(argv: list[str]) -> tuple[int, str, str]:
    """Run ``python -m handoff <argv>`` in this process; returns (exit code, stdout, stderr)."""
    from handoff.__main__ import main

    out, err = io.StringIO(), io.StringIO()
    old_out, old_err = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = out, err
    try:
        code = main(argv)
    finally:
        sys.stdout, sys.stderr = old_out, old_err
    return code, out.getvalue(), err.getvalue()
