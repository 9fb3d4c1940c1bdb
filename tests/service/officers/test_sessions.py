"""Sign-in sessions past their time: a pending one after PENDING_TIMEOUT, a full one when idle or too old.

These call the service directly with the clock moved; test_auth_signin covers the same sessions through the forms.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from handoff.officers import service as officers
from handoff.officers.models import StaffSession

from ..console_helpers import create_officer
from ..db_helpers import run_db
from .test_auth_signin import SAM, START


@pytest.fixture
def sam(settings) -> str:
    create_officer(settings, SAM)
    return SAM


def _start(settings, email: str, *, pending: bool) -> str:
    async def go(db):
        officer = await officers.by_email(db_session=db, email=email)
        return await officers.start_session(db_session=db, officer=officer, pending=pending)

    return run_db(settings, go)


def _officer(settings, token: str) -> str | None:
    """The email of the signed-in officer this cookie gives, or None."""

    async def go(db):
        officer = await officers.officer_for_session(db_session=db, token=token)
        return officer.email if officer else None

    return run_db(settings, go)


def _pending(settings, token: str) -> str | None:
    """The email of the account whose pending sign-in this cookie is, or None."""

    async def go(db):
        found = await officers.pending_sign_in(db_session=db, token=token)
        return found[1].email if found else None

    return run_db(settings, go)


def _sessions(settings) -> int:
    return run_db(settings, lambda db: db.scalar(select(func.count(StaffSession.id))))


def _set_active(settings, email: str, active: bool) -> None:
    async def go(db):
        officer = await officers.by_email(db_session=db, email=email)
        officer.is_active = active  # only the flag: set_active would also end the sessions
        await db.commit()

    run_db(settings, go)


def test_a_full_session_ends_when_idle_and_is_removed(settings, sam):
    with time_machine.travel(START, tick=False) as traveller:
        token = _start(settings, sam, pending=False)
        traveller.shift(timedelta(minutes=29))
        assert _officer(settings, token) == sam  # in use: the idle timer starts again
        traveller.shift(timedelta(minutes=29))
        assert _officer(settings, token) == sam
        traveller.shift(officers.IDLE_TIMEOUT + timedelta(seconds=1))
        assert _officer(settings, token) is None
        assert _sessions(settings) == 0


def test_a_full_session_in_use_ends_after_the_absolute_timeout(settings, sam):
    with time_machine.travel(START, tick=False) as traveller:
        token = _start(settings, sam, pending=False)
        for _ in range(officers.ABSOLUTE_TIMEOUT // timedelta(minutes=20)):  # never idle for long
            traveller.shift(timedelta(minutes=20))
            assert _officer(settings, token) == sam
        traveller.shift(timedelta(seconds=1))
        assert _officer(settings, token) is None
        assert _sessions(settings) == 0


def test_a_pending_sign_in_lasts_its_timeout_and_opens_nothing_meanwhile(settings, sam):
    with time_machine.travel(START, tick=False) as traveller:
        token = _start(settings, sam, pending=True)
        assert _officer(settings, token) is None  # the password alone opens nothing
        traveller.shift(officers.PENDING_TIMEOUT)
        assert _pending(settings, token) == sam
        traveller.shift(timedelta(seconds=1))
        assert _pending(settings, token) is None
        assert _sessions(settings) == 0


def test_a_full_session_is_no_pending_sign_in(settings, sam):
    with time_machine.travel(START, tick=False):
        token = _start(settings, sam, pending=False)
        assert _pending(settings, token) is None
        assert _officer(settings, token) == sam


def test_a_disabled_account_opens_nothing_but_its_sessions_stay_until_their_time(settings, sam):
    with time_machine.travel(START, tick=False):
        full, pending = _start(settings, sam, pending=False), _start(settings, sam, pending=True)
        _set_active(settings, sam, False)
        assert _officer(settings, full) is None
        assert _pending(settings, pending) is None
        assert _sessions(settings) == 2
        _set_active(settings, sam, True)
        assert _officer(settings, full) == sam
        assert _pending(settings, pending) == sam


def test_the_idle_timer_moves_in_steps_not_on_every_request(settings, sam):
    def last_seen() -> datetime:
        return run_db(settings, lambda db: db.scalar(select(StaffSession.last_seen_at)))

    with time_machine.travel(START, tick=False) as traveller:
        token = _start(settings, sam, pending=False)
        traveller.shift(officers.LAST_SEEN_PRECISION)
        _officer(settings, token)
        assert last_seen() == START
        traveller.shift(timedelta(seconds=1))
        _officer(settings, token)
        assert last_seen() == START + officers.LAST_SEEN_PRECISION + timedelta(seconds=1)
