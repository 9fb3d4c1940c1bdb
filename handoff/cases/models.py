"""Case, case note, case event and callback request tables."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, Enum, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from handoff.cases.enums import CaseStatus, Goal
from handoff.core.crypto import EncryptedText
from handoff.core.db import Base, UTCDateTime, utcnow


class Case(Base):
    """Created exactly once per handoff request; the reference (with its code) is what the student can quote later."""

    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(16), unique=True)  # what officers see and search: K7M-4QX
    # The student's reference ends with this (K7M-4QX-HT6): it proves a returning student is the same person.
    # Encrypted and never shown to officers. Cases from before it existed have none and cannot be resumed alone.
    resume_code: Mapped[str | None] = mapped_column(EncryptedText, nullable=True, default=None)
    request_id: Mapped[str] = mapped_column(String(128), unique=True)
    conversation_id: Mapped[int | None] = mapped_column(
        ForeignKey("conversations.id", ondelete="SET NULL"), index=True
    )
    institution_id: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(16))
    goal: Mapped[Goal] = mapped_column(Enum(Goal, native_enum=False, length=16, validate_strings=True))
    share_transcript: Mapped[bool] = mapped_column(Boolean, default=False)
    # The seqs of the student's own messages from before the case that they chose to share (None: all or nothing,
    # as share_transcript says). Decided by handoff/cases/sharing.py.
    shared_seqs: Mapped[list[int] | None] = mapped_column(JSON, nullable=True, default=None)
    anonymous: Mapped[bool] = mapped_column(Boolean, default=True)
    status: Mapped[CaseStatus] = mapped_column(
        Enum(CaseStatus, native_enum=False, length=16, validate_strings=True), default=CaseStatus.open
    )
    category: Mapped[str | None] = mapped_column(String(32))
    outcome: Mapped[str | None] = mapped_column(String(32))
    assigned_officer_id: Mapped[int | None] = mapped_column(ForeignKey("officers.id", ondelete="SET NULL"))
    out_of_hours: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    first_response_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CaseNote(Base):
    __tablename__ = "case_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    officer_id: Mapped[int | None] = mapped_column(ForeignKey("officers.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(EncryptedText)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CaseEvent(Base):
    """One thing that happened to a case: the history is data, not log lines. Never message text."""

    __tablename__ = "case_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    actor: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))
    detail: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CallbackRequest(Base):
    """Out of hours: how and when the student would like the team to get in touch."""

    __tablename__ = "callback_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    preferred_channel: Mapped[str] = mapped_column(String(16))
    safe_time: Mapped[str] = mapped_column(EncryptedText)  # in the student's own words: names, places
    contact_encrypted: Mapped[str] = mapped_column(Text)
    # May they leave a voicemail, or a text or email that says who it is from? None: not asked (older requests).
    leave_message: Mapped[bool | None] = mapped_column(Boolean, nullable=True, default=None)
    done: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
