"""The records log: one count-only row per purge or erasure. Never message text, numbers or references."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from handoff.core.db import Base, UTCDateTime, utcnow


class RecordsAudit(Base):
    """That a purge or an erasure happened: when, started by what, how many rows of each kind went.

    ``subject_hash`` (erasures only) is a keyed hash of the case reference or phone number, so a later request
    about the same person can be matched without the log holding the reference or number itself.
    """

    __tablename__ = "records_audit"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(64))
    counts: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    subject_kind: Mapped[str | None] = mapped_column(String(16))
    subject_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
