"""Retention: `python -m handoff purge` and the schedule inside the service follow the institution's profile
(data/institutions/example.yml: conversations without a case 30 days, closed cases 6 years)."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

import pytest
import time_machine
from sqlalchemy import select, text

from handoff.cases.models import Case
from handoff.conversations.models import Conversation
from handoff.core.db import create_engine, create_sessionmaker
from handoff.records.models import RecordsAudit
from handoff.records.retention import purge_as_the_only_worker, scheduled_purges
from institutions import load_profile

from .test_records_support import (
    all_counts,
    case_for,
    command_env,
    conversation_with,
    dump,
    run,
    run_command,
    sms_conversation,
)

START = datetime(2026, 3, 2, 10, 0, tzinfo=timezone.utc)
SECRET_WORDS = "retention-canary words about what happened"


def _ids(settings) -> set[int]:
    return set(run(settings, lambda db: db.scalars(select(Conversation.id))))


def _purge(monkeypatch, settings, *args: str) -> tuple[int, str, str]:
    with command_env(monkeypatch, settings):
        return run_command(["purge", *args])


def test_a_conversation_without_a_case_is_kept_29_days_and_gone_after_31(settings, monkeypatch):
    with time_machine.travel(START, tick=False):
        idle = run(settings, lambda db: conversation_with(db, [SECRET_WORDS, "more words"]))
    with time_machine.travel(START + timedelta(days=20), tick=False):
        busy = run(settings, lambda db: conversation_with(db, ["started later"]))

    with time_machine.travel(START + timedelta(days=29), tick=False):
        code, out, err = _purge(monkeypatch, settings)
    assert code == 0 and "Removed: nothing." in out
    assert _ids(settings) == {idle.conversation_id, busy.conversation_id}

    with time_machine.travel(START + timedelta(days=31), tick=False):
        code, out, err = _purge(monkeypatch, settings)
    assert code == 0
    assert "Removed: 1 conversation, 2 messages." in out
    assert "Purging [" in err and "1/1" in err  # the progress bar, on stderr, counts only
    assert SECRET_WORDS not in out + err
    assert _ids(settings) == {busy.conversation_id}
    counts = run(settings, all_counts)
    assert counts["messages"] == 1


def test_a_new_message_restarts_the_clock(settings, monkeypatch):
    with time_machine.travel(START, tick=False):
        stored = run(settings, lambda db: conversation_with(db, ["first"]))

    async def say_more(db):
        from handoff.conversations.enums import Direction
        from handoff.conversations.models import Message

        db.add(Message(conversation_id=stored.conversation_id, seq=2, direction=Direction.user, text="later", extra={}))
        await db.commit()

    with time_machine.travel(START + timedelta(days=25), tick=False):
        run(settings, say_more)
    with time_machine.travel(START + timedelta(days=40), tick=False):
        _purge(monkeypatch, settings)
    assert _ids(settings) == {stored.conversation_id}


def test_closed_cases_go_after_the_years_with_everything_in_them_and_open_cases_never(settings, monkeypatch):
    with time_machine.travel(START, tick=False):
        async def seed(db):
            from handoff.core import crypto

            vault = crypto.active_vault()
            closed = await case_for(db, await conversation_with(db, [SECRET_WORDS]), note="note text",
                                    callback_contact="07700 900999", closed=True)
            still_open = await case_for(db, await conversation_with(db, ["open case words"]), note="kept note")
            texted = await case_for(db, await sms_conversation(db, vault, "+447700900321", ["by text"],
                                                               provider_sids=("SM" + "1" * 32,)), closed=True)
            return closed, still_open, texted

        closed, still_open, texted = run(settings, seed)
    with time_machine.travel(START + timedelta(days=3 * 365), tick=False):
        newer = run(settings, lambda db: _closed_case(db, "closed three years in"))

    with time_machine.travel(START + timedelta(days=6 * 365 - 2), tick=False):
        _purge(monkeypatch, settings)
    assert len(run(settings, lambda db: db.scalars(select(Case.id))).all()) == 4

    with time_machine.travel(START + timedelta(days=6 * 365 + 3), tick=False):
        code, out, _ = _purge(monkeypatch, settings)
    assert code == 0
    remaining_cases = set(run(settings, lambda db: db.scalars(select(Case.reference))))
    assert remaining_cases == {still_open.reference, newer.reference}
    assert closed.reference not in remaining_cases and texted.reference not in remaining_cases
    assert _ids(settings) == {still_open.conversation_id, newer.conversation_id}
    counts = run(settings, all_counts)
    assert counts["case_notes"] == 1 and counts["callback_requests"] == 0
    assert counts["sms_contacts"] == 0 and counts["sms_outbound"] == 0
    assert "2 cases" in out and "1 call-back request" in out and "1 phone contact" in out
    assert "1 SMS send record" in out

    # The open case is kept however old it is.
    with time_machine.travel(START + timedelta(days=30 * 365), tick=False):
        _purge(monkeypatch, settings)
    assert set(run(settings, lambda db: db.scalars(select(Case.reference)))) == {still_open.reference}


async def _closed_case(db, words: str):
    return await case_for(db, await conversation_with(db, [words]), closed=True)


def test_each_purge_leaves_a_count_only_record_and_a_dry_run_deletes_nothing(settings, monkeypatch):
    with time_machine.travel(START, tick=False):
        run(settings, lambda db: conversation_with(db, [SECRET_WORDS]))
    with time_machine.travel(START + timedelta(days=31), tick=False):
        code, out, _ = _purge(monkeypatch, settings, "--dry-run")
        assert code == 0 and "Would remove: 1 conversation, 1 message." in out and "nothing was deleted" in out
        assert run(settings, all_counts)["messages"] == 1
        assert run(settings, all_counts)["records_audit"] == 0
        _purge(monkeypatch, settings)

    rows = run(settings, lambda db: db.scalars(select(RecordsAudit))).all()
    assert len(rows) == 1
    assert rows[0].kind == "purge" and rows[0].counts["conversations"] == 1 and rows[0].counts["messages"] == 1
    assert rows[0].subject_hash is None
    raw = run(settings, lambda db: dump(db, "records_audit"))
    assert SECRET_WORDS not in raw


def test_the_schedule_runs_on_one_worker_at_a_time(settings, database_url):
    retention = load_profile("example").retention
    with time_machine.travel(START, tick=False):
        run(settings, lambda db: conversation_with(db, ["old words"]))

    async def scenario():
        engine = create_engine(settings.async_database_url)
        sessions = create_sessionmaker(engine)
        kwargs = dict(engine=engine, sessions=sessions, retention=retention, institution_id="example",
                      min_gap=timedelta(hours=12))
        try:
            if engine.dialect.name == "postgresql":  # another worker holds the lock: this one stays out
                async with engine.connect() as other:
                    await other.execute(text("SELECT pg_advisory_lock(:k)"), {"k": 0x68616E64})
                    assert await purge_as_the_only_worker(**kwargs) is None
                    await other.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": 0x68616E64})
                    await other.commit()
            first = await purge_as_the_only_worker(**kwargs)
            second = await purge_as_the_only_worker(**kwargs)  # another worker, minutes later: too soon
            return first, second
        finally:
            await engine.dispose()

    with time_machine.travel(START + timedelta(days=31), tick=False):
        first, second = run(settings, lambda db: scenario())
    assert first is not None and first.removed.counts["conversations"] == 1
    assert second is None
    assert run(settings, all_counts)["records_audit"] == 1


def test_the_service_purges_on_its_schedule(settings):
    with time_machine.travel(START, tick=False):
        run(settings, lambda db: conversation_with(db, ["old words"]))

    async def one_round():
        engine = create_engine(settings.async_database_url)
        task = asyncio.create_task(scheduled_purges(
            engine=engine, sessions=create_sessionmaker(engine), institution_id="example", hours=24, first_delay=0,
        ))
        try:
            for _ in range(100):
                await asyncio.sleep(0.05)
                async with create_sessionmaker(engine)() as db:
                    if await db.scalar(select(RecordsAudit.id)) is not None:
                        break
        finally:
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            await engine.dispose()

    with time_machine.travel(START + timedelta(days=31), tick=True):
        run(settings, lambda db: one_round())
    assert run(settings, all_counts)["conversations"] == 0
    audit = run(settings, lambda db: db.scalar(select(RecordsAudit)))
    assert audit.actor == "schedule"


def test_the_schedule_can_be_turned_off(settings):
    async def go():
        engine = create_engine(settings.async_database_url)
        try:
            await asyncio.wait_for(scheduled_purges(engine=engine, sessions=create_sessionmaker(engine),
                                                    institution_id="example", hours=0), 1)
        finally:
            await engine.dispose()

    with time_machine.travel(START, tick=False):
        run(settings, lambda db: conversation_with(db, ["old words"]))
    with time_machine.travel(START + timedelta(days=31), tick=True):
        run(settings, lambda db: go())  # returns at once: RETENTION_PURGE_HOURS=0
    assert run(settings, all_counts)["conversations"] == 1


def test_the_security_log_is_kept_as_long_as_closed_cases_and_no_longer(settings, monkeypatch):
    from handoff.officers.models import AuditEvent

    async def refusal(db):
        db.add(AuditEvent(action="forbidden", target="/api/console/queue", client="127.0.0.1"))
        await db.commit()

    with time_machine.travel(START, tick=False):
        run(settings, refusal)
    with time_machine.travel(START + timedelta(days=365 * 5), tick=False):
        run(settings, refusal)
    with time_machine.travel(START + timedelta(days=365 * 6 + 10), tick=False):
        code, out, _ = _purge(monkeypatch, settings, "--dry-run")
        assert code == 0 and "1 security log entry" in out
        assert len(list(run(settings, lambda db: db.scalars(select(AuditEvent.id))))) == 2  # a dry run deletes nothing
        code, out, _ = _purge(monkeypatch, settings)
    assert code == 0 and "1 security log entry" in out
    left = run(settings, lambda db: db.scalars(select(AuditEvent.created_at)))
    assert [moment.year for moment in left] == [2031]
