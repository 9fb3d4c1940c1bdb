"""Staff account, sign-in session and security audit tables."""

from __future__ import annotations

from datetime import datetime
from enum import Enum as PyEnum

from sqlalchemy import BigInteger, Boolean, Enum, ForeignKey, String, false
from sqlalchemy.orm import Mapped, mapped_column

from handoff.core.crypto import EncryptedText
from handoff.core.db import Base, UTCDateTime, utcnow


class Role(str, PyEnum):
    welfare_officer = "welfare_officer"
    safeguarding_lead = "safeguarding_lead"
    admin = "admin"


class Officer(Base):
    __tablename__ = "officers"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    role: Mapped[Role] = mapped_column(Enum(Role, native_enum=False, length=32, validate_strings=True))
    password_hash: Mapped[str] = mapped_column(String(255))
    # An initial password (an administrator set it, or it was shown once): it must be changed at first sign-in.
    password_must_change: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    on_duty: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Two-step sign-in: the authenticator key (encrypted) and the last code step accepted (no reuse).
    totp_secret: Mapped[str | None] = mapped_column(EncryptedText, nullable=True, default=None)
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger, nullable=True, default=None)
    last_signin_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, default=None)


class StaffSession(Base):
    """A signed-in browser. Only a hash of the cookie value is stored."""

    __tablename__ = "staff_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    officer_id: Mapped[int] = mapped_column(ForeignKey("officers.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # A pending sign-in: the password was right but the second step is still to come. It opens no console.
    pending: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # An authenticator key being set up in this browser, until a code confirms it (encrypted).
    enrol_secret: Mapped[str | None] = mapped_column(EncryptedText, nullable=True, default=None)


class AuditEvent(Base):
    """A security event: failed or refused access, and changes to staff accounts. Never message text or an email."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    action: Mapped[str] = mapped_column(String(32))
    officer_id: Mapped[int | None] = mapped_column(
        ForeignKey("officers.id", ondelete="SET NULL"), nullable=True, index=True
    )
    target: Mapped[str | None] = mapped_column(String(200), nullable=True)  # a path, case reference or account id
    client: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)  # the client's address
    # A keyed hash of the email typed at a failed sign-in: relates attempts without storing the address.
    subject_hash: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
