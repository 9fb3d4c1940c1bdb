"""Retention: delete what the institution's schedule says is no longer kept, in batches, and log the counts."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, delete, exists, func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from handoff.assistant.tracker import TrackerStore
from handoff.cases.enums import CaseStatus
from handoff.cases.models import Case
from handoff.conversations.models import Conversation, Message
from handoff.core.db import utcnow
from handoff.officers.models import AuditEvent
from handoff.records.models import RecordsAudit
from handoff.records.progress import NoProgress, Progress
from handoff.records.removal import Removed, log_action, remove
from institutions.profile import Retention

logger = logging.getLogger(__name__)

BATCH_SIZE = 200
ADVISORY_LOCK = 0x68616E64  # any fixed number, the same in every worker
FIRST_RUN_DELAY = 60.0  # seconds after start-up, so start-up itself stays quick


@dataclass
class PurgeResult:
    removed: Removed = field(default_factory=Removed)
    dry_run: bool = False
    conversations_cutoff: datetime | None = None
    cases_cutoff: datetime | None = None


def years_before(moment: datetime, years: int) -> datetime:
    """The same date ``years`` earlier (29 February becomes 28 February)."""
    try:
        return moment.replace(year=moment.year - years)
    except ValueError:
        return moment.replace(year=moment.year - years, day=28)


def _last_activity_before(cutoff: datetime) -> ColumnElement[bool]:
    """Conversation untouched since ``cutoff``: neither it nor any of its messages changed later."""
    recent_message = exists().where(Message.conversation_id == Conversation.id, Message.created_at >= cutoff)
    return (Conversation.updated_at < cutoff) & ~recent_message


async def _stale_conversations(db_session: AsyncSession, institution_id: str, cutoff: datetime) -> list[int]:
    """Conversations that never became a case (nor joined one) and are older than the cutoff."""
    has_case = exists().where(Case.conversation_id == Conversation.id)
    query = select(Conversation.id).where(
        Conversation.institution_id == institution_id, ~has_case, _last_activity_before(cutoff)
    ).order_by(Conversation.id)
    return list(await db_session.scalars(query))


async def _expired_cases(db_session: AsyncSession, institution_id: str, cutoff: datetime) -> list[Case]:
    """Closed cases closed before the cutoff. Open cases never appear here, however old."""
    query = select(Case).where(
        Case.institution_id == institution_id, Case.status == CaseStatus.closed, Case.closed_at.is_not(None),
        Case.closed_at < cutoff,
    ).order_by(Case.id)
    return list(await db_session.scalars(query))


async def _conversations_to_go_with(
    db_session: AsyncSession, cases: list[Case], conversation_cutoff: datetime
) -> list[int]:
    """The conversations of these cases that nothing else needs: no other case, nothing said recently."""
    case_ids = [c.id for c in cases]
    candidates = sorted({c.conversation_id for c in cases if c.conversation_id is not None})
    if not candidates:
        return []
    other_case = exists().where(Case.conversation_id == Conversation.id, Case.id.not_in(case_ids))
    query = select(Conversation.id).where(
        Conversation.id.in_(candidates), ~other_case, _last_activity_before(conversation_cutoff)
    )
    return list(await db_session.scalars(query))


async def purge(
    *, db_session: AsyncSession, retention: Retention, institution_id: str, dry_run: bool = False,
    actor: str = "command", batch_size: int = BATCH_SIZE,
    progress_factory: Callable[[str, int], Progress] | None = None,
) -> PurgeResult:
    """Delete conversations that never became a case, once idle for ``conversations_without_case_days``, and
    closed cases (with their conversation and everything in it) ``closed_case_years`` after closing.

    Commits after each batch, so an interruption keeps what is done. ``dry_run`` counts and deletes nothing.
    Leaves one count-only row in the records log (not for a dry run).
    """
    now = utcnow()
    conversations_cutoff = now - timedelta(days=retention.conversations_without_case_days)
    cases_cutoff = years_before(now, retention.closed_case_years)
    result = PurgeResult(dry_run=dry_run, conversations_cutoff=conversations_cutoff, cases_cutoff=cases_cutoff)
    expired = await _expired_cases(db_session, institution_id, cases_cutoff)
    going_with = set(await _conversations_to_go_with(db_session, expired, conversations_cutoff))
    cases = [(c.id, c.conversation_id) for c in expired]
    stale = await _stale_conversations(db_session, institution_id, conversations_cutoff)
    await db_session.rollback()  # end the reading transaction before the deleting ones
    progress = (progress_factory or NoProgress)("Purging", len(cases) + len(stale))
    try:
        for start in range(0, len(cases), batch_size):
            batch = cases[start:start + batch_size]
            # A conversation shared by two expiring cases goes with the batch of its last case.
            later = {conversation for _, conversation in cases[start + batch_size:]}
            conversations = [c for _, c in batch if c is not None and c in going_with and c not in later]
            await _apply(db_session, result, dry_run, remove(
                db_session=db_session, case_ids=[case for case, _ in batch], conversation_ids=conversations
            ))
            progress.advance(len(batch))
        for start in range(0, len(stale), batch_size):
            batch_ids = stale[start:start + batch_size]
            await _apply(db_session, result, dry_run, remove(db_session=db_session, conversation_ids=batch_ids))
            progress.advance(len(batch_ids))
    finally:
        progress.close()
    # The security log (sign-in failures, refusals, account changes) is kept as long as closed cases are.
    old_audit = AuditEvent.created_at < cases_cutoff
    if dry_run:
        result.removed.counts["audit_events"] += int(
            await db_session.scalar(select(func.count(AuditEvent.id)).where(old_audit)) or 0)
    else:
        deleted = await db_session.execute(delete(AuditEvent).where(old_audit))
        result.removed.counts["audit_events"] += int(getattr(deleted, "rowcount", 0) or 0)
        await db_session.commit()
    if not dry_run:
        await log_action(db_session=db_session, kind="purge", actor=actor, counts=result.removed.counts)
        await db_session.commit()
    return result


async def _apply(db_session: AsyncSession, result: PurgeResult, dry_run: bool, work: Awaitable[Removed]) -> None:
    removed = await work
    result.removed.add(removed)
    if dry_run:
        await db_session.rollback()
    else:
        await db_session.commit()


async def purge_as_the_only_worker(
    *, engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession], retention: Retention, institution_id: str,
    tracker_store: TrackerStore | None = None, min_gap: timedelta | None = None, actor: str = "schedule",
) -> PurgeResult | None:
    """Purge unless another worker is purging right now (PostgreSQL advisory lock; SQLite has one writer anyway)
    or a scheduled purge ran within ``min_gap``. None when skipped."""
    if engine.dialect.name != "postgresql":
        return await _purge_unless_recent(sessions, retention, institution_id, tracker_store, min_gap, actor)
    async with engine.connect() as connection:
        connection = await connection.execution_options(isolation_level="AUTOCOMMIT")
        if not await connection.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": ADVISORY_LOCK}):
            return None
        try:
            return await _purge_unless_recent(sessions, retention, institution_id, tracker_store, min_gap, actor)
        finally:
            await connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_LOCK})


async def _purge_unless_recent(
    sessions: async_sessionmaker[AsyncSession], retention: Retention, institution_id: str,
    tracker_store: TrackerStore | None, min_gap: timedelta | None, actor: str,
) -> PurgeResult | None:
    async with sessions() as db:
        if min_gap is not None:
            last = await db.scalar(select(func.max(RecordsAudit.created_at)).where(
                RecordsAudit.kind == "purge", RecordsAudit.actor == actor
            ))
            if last is not None and (last.tzinfo is None or last > utcnow() - min_gap):
                return None
        result = await purge(db_session=db, retention=retention, institution_id=institution_id, actor=actor)
    if tracker_store is not None and tracker_store.persistent:
        await tracker_store.forget(result.removed.rasa_senders)
    return result


async def scheduled_purges(
    *, engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession], institution_id: str, hours: float,
    tracker_store: TrackerStore | None = None, first_delay: float = FIRST_RUN_DELAY,
) -> None:
    """Run inside the service: purge every ``hours`` hours, one worker at a time, until cancelled."""
    if hours <= 0:
        return
    from institutions import load_profile

    await asyncio.sleep(first_delay)
    while True:
        try:
            retention = load_profile(institution_id).retention
            result = await purge_as_the_only_worker(
                engine=engine, sessions=sessions, retention=retention, institution_id=institution_id,
                tracker_store=tracker_store, min_gap=timedelta(hours=hours / 2),
            )
            if result is not None:
                logger.info("retention purge removed %d rows", result.removed.total)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # keep the schedule going; the type only, never content
            logger.warning("retention purge failed: %s", type(exc).__name__)
        await asyncio.sleep(hours * 3600)
