"""Throttling of failed sign-ins, counted from the audit table so that it holds across every worker.

A failed password and a failed code both count. Per account (the email as typed, so an address that has no
account is treated the same) and per client address, each with a limit within a window and a pause after it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from handoff.core.db import utcnow
from handoff.officers.audit import SIGNIN_FAILED
from handoff.officers.models import AuditEvent


@dataclass(frozen=True)
class Limit:
    failures: int
    window: timedelta
    pause: timedelta


PER_ACCOUNT = Limit(failures=5, window=timedelta(minutes=15), pause=timedelta(minutes=15))
PER_CLIENT = Limit(failures=30, window=timedelta(minutes=15), pause=timedelta(minutes=15))


def _paused_until(times: list[datetime], limit: Limit, now: datetime) -> datetime | None:
    """The end of the latest pause: ``failures`` failures within ``window`` pause for ``pause`` after the last."""
    until = None
    for last in range(limit.failures - 1, len(times)):
        first = last - limit.failures + 1
        if times[last] - times[first] <= limit.window and times[last] + limit.pause > now:
            until = max(until or now, times[last] + limit.pause)
    return until


async def _failures(db_session: AsyncSession, column, value: str, since: datetime) -> list[datetime]:
    rows = await db_session.scalars(
        select(AuditEvent.created_at)
        .where(AuditEvent.action == SIGNIN_FAILED, column == value, AuditEvent.created_at > since)
        .order_by(AuditEvent.created_at)
    )
    return list(rows)


async def retry_after(*, db_session: AsyncSession, subject: str, client: str | None) -> int | None:
    """Seconds until sign-in may be tried again for this account or from this address, or None if it may now."""
    now = utcnow()
    waits = []
    for limit, column, value in ((PER_ACCOUNT, AuditEvent.subject_hash, subject),
                                 (PER_CLIENT, AuditEvent.client, client)):
        if value is None:
            continue
        times = await _failures(db_session, column, value, now - limit.window - limit.pause)
        until = _paused_until(times, limit, now)
        if until is not None:
            waits.append(math.ceil((until - now).total_seconds()))
    return max(waits) if waits else None
