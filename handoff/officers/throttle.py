"""Throttling of failed sign-ins, counted from the audit table so that it holds across every worker.

A failed password and a failed code both count, each against three limits, each a number of failures within a
window and a pause after it:

- per account *and* address together (the email as typed, so an email that has no account is treated the same):
  someone failing from one address pauses that account only from that address, so its owner can still sign in
  from their own;
- per address, whatever the email (one address trying many accounts);
- per account from anywhere, set much higher: only many addresses together (a distributed guess) pause it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

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


PER_ACCOUNT_AND_CLIENT = Limit(failures=5, window=timedelta(minutes=15), pause=timedelta(minutes=15))
PER_CLIENT = Limit(failures=30, window=timedelta(minutes=15), pause=timedelta(minutes=15))
PER_ACCOUNT = Limit(failures=50, window=timedelta(minutes=15), pause=timedelta(minutes=15))


def _paused_until(times: list[datetime], limit: Limit, now: datetime) -> datetime | None:
    """The end of the latest pause: ``failures`` failures within ``window`` pause for ``pause`` after the last."""
    until = None
    for last in range(limit.failures - 1, len(times)):
        first = last - limit.failures + 1
        if times[last] - times[first] <= limit.window and times[last] + limit.pause > now:
            until = max(until or now, times[last] + limit.pause)
    return until


async def _failures(db_session: AsyncSession, where: list[Any], since: datetime) -> list[datetime]:
    rows = await db_session.scalars(
        select(AuditEvent.created_at)
        .where(AuditEvent.action == SIGNIN_FAILED, *where, AuditEvent.created_at > since)
        .order_by(AuditEvent.created_at)
    )
    return list(rows)


async def retry_after(*, db_session: AsyncSession, subject: str, client: str | None) -> int | None:
    """Seconds until sign-in may be tried again for this account or from this address, or None if it may now."""
    now = utcnow()
    waits = []
    checks: list[tuple[Limit, list[Any]]] = [(PER_ACCOUNT, [AuditEvent.subject_hash == subject])]
    if client is not None:
        checks += [(PER_ACCOUNT_AND_CLIENT, [AuditEvent.subject_hash == subject, AuditEvent.client == client]),
                   (PER_CLIENT, [AuditEvent.client == client])]
    else:  # no address known: the account's own limit is the pair's
        checks += [(PER_ACCOUNT_AND_CLIENT, [AuditEvent.subject_hash == subject])]
    for limit, where in checks:
        times = await _failures(db_session, where, now - limit.window - limit.pause)
        until = _paused_until(times, limit, now)
        if until is not None:
            waits.append(math.ceil((until - now).total_seconds()))
    return max(waits) if waits else None
