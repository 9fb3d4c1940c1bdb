"""Plain database functions for staff accounts and their sign-in sessions."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from handoff.core.db import utcnow
from handoff.core.security import (
    hash_password,
    new_token,
    new_totp_secret,
    token_hash,
    verify_password,
    verify_totp,
)
from handoff.officers.audit import DUTY_OFF, duty_target
from handoff.officers.models import AuditEvent, Officer, Role, StaffSession

IDLE_TIMEOUT = timedelta(minutes=30)
ABSOLUTE_TIMEOUT = timedelta(hours=10)
LAST_SEEN_PRECISION = timedelta(seconds=30)  # the idle timer moves in steps of this
PENDING_TIMEOUT = timedelta(minutes=10)  # from a right password to the code (or to setting up two-step sign-in)
MIN_PASSWORD = 12


def sessions_topic(officer_id: int) -> str:
    """Where the console sockets of an account hear that its sessions were ended (they then recheck at once)."""
    return f"staff-sessions:{officer_id}"
_DUMMY_HASH = hash_password("not-a-real-password")


async def count(*, db_session: AsyncSession) -> int:
    """How many staff accounts exist."""
    return int(await db_session.scalar(select(func.count(Officer.id))) or 0)


async def create(
    *, db_session: AsyncSession, email: str, display_name: str, role: Role, password: str,
    initial: bool = False,
) -> Officer:
    """A new staff account with an Argon2id password hash; an ``initial`` password is changed at first sign-in."""
    if len(password) < MIN_PASSWORD:
        raise ValueError(f"a password needs at least {MIN_PASSWORD} characters")
    email = email.strip().lower()
    if "@" not in email or len(email) > 254 or not display_name.strip():
        raise ValueError("give an email address and a name")
    if await by_email(db_session=db_session, email=email) is not None:
        raise ValueError("an account with that email exists already")
    officer = Officer(
        email=email.strip().lower(), display_name=display_name.strip(), role=role,
        password_hash=hash_password(password), password_must_change=initial,
    )
    db_session.add(officer)
    await db_session.commit()
    return officer


async def authenticate(*, db_session: AsyncSession, email: str, password: str) -> Officer | None:
    """The active account these credentials belong to, or None (taking the same time either way)."""
    officer = await db_session.scalar(select(Officer).where(Officer.email == email.strip().lower()))
    if officer is None or not officer.is_active:
        verify_password(_DUMMY_HASH, password)
        return None
    return officer if verify_password(officer.password_hash, password) else None


async def by_email(*, db_session: AsyncSession, email: str) -> Officer | None:
    return await db_session.scalar(select(Officer).where(Officer.email == email.strip().lower()))


async def all_officers(*, db_session: AsyncSession) -> list[Officer]:
    """Every account, by email."""
    return list(await db_session.scalars(select(Officer).order_by(Officer.email)))


async def start_session(*, db_session: AsyncSession, officer: Officer, pending: bool = False) -> str:
    """A new sign-in session; returns the cookie value (only its hash is stored).

    A pending session only lets the browser give its second step; it opens nothing in the console.
    """
    token = new_token()
    db_session.add(StaffSession(token_hash=token_hash(token), officer_id=officer.id, pending=pending))
    if not pending:
        officer.last_signin_at = utcnow()
    await db_session.commit()
    return token


async def _session_row(db_session: AsyncSession, token: str | None, *, pending: bool) -> StaffSession | None:
    """The stored session this cookie value names (only its hash is stored), pending or full as asked."""
    if not token or len(token) > 128:
        return None
    return await db_session.scalar(
        select(StaffSession).where(StaffSession.token_hash == token_hash(token), StaffSession.pending.is_(pending))
    )


async def _live_session(
    db_session: AsyncSession, token: str | None, *, pending: bool, now: datetime
) -> tuple[StaffSession, Officer] | None:
    """The session this cookie value names and its account, while the session is in time and the account active.

    A pending session lasts PENDING_TIMEOUT from its start; a full one until it is idle for IDLE_TIMEOUT or older
    than ABSOLUTE_TIMEOUT. A session past its time is removed.
    """
    staff_session = await _session_row(db_session, token, pending=pending)
    if staff_session is None:
        return None
    age = now - staff_session.created_at
    if pending:
        expired = age > PENDING_TIMEOUT
    else:
        expired = now - staff_session.last_seen_at > IDLE_TIMEOUT or age > ABSOLUTE_TIMEOUT
    if expired:
        await db_session.delete(staff_session)
        await db_session.commit()
        return None
    officer = await db_session.get(Officer, staff_session.officer_id)
    if officer is None or not officer.is_active:
        return None
    return staff_session, officer


async def pending_sign_in(*, db_session: AsyncSession, token: str | None) -> tuple[StaffSession, Officer] | None:
    """The pending sign-in of this browser and its account, if it is recent and the account active."""
    return await _live_session(db_session, token, pending=True, now=utcnow())


async def session_for(*, db_session: AsyncSession, token: str | None) -> StaffSession | None:
    """The session row of a cookie (pending or not)."""
    if not token or len(token) > 128:
        return None
    return await db_session.scalar(select(StaffSession).where(StaffSession.token_hash == token_hash(token)))


async def complete_sign_in(*, db_session: AsyncSession, token: str, officer: Officer) -> str:
    """Swap a pending sign-in (or an older session) for a full session with a new id."""
    await end_session(db_session=db_session, token=token)
    return await start_session(db_session=db_session, officer=officer)


def check_code(officer: Officer, code: str, *, at: float) -> bool:
    """True when the code is right for now and was not used before; the step is remembered (commit after)."""
    if not officer.totp_secret:
        return False
    step = verify_totp(officer.totp_secret, code, at=at, last_step=officer.totp_last_step)
    if step is None:
        return False
    officer.totp_last_step = step
    return True


async def begin_enrolment(*, db_session: AsyncSession, staff_session: StaffSession) -> str:
    """A new authenticator key for this browser to confirm; kept encrypted on the session until then."""
    if not staff_session.enrol_secret:
        staff_session.enrol_secret = new_totp_secret()
        await db_session.commit()
    return staff_session.enrol_secret


async def confirm_enrolment(
    *, db_session: AsyncSession, staff_session: StaffSession, officer: Officer, code: str, at: float
) -> bool:
    """Keep the key being set up if the code from the app matches it."""
    secret = staff_session.enrol_secret
    if not secret:
        return False
    step = verify_totp(secret, code, at=at, last_step=None)
    if step is None:
        return False
    officer.totp_secret = secret
    officer.totp_last_step = step
    staff_session.enrol_secret = None
    await db_session.commit()
    return True


def password_problem(officer: Officer, new: str, again: str) -> str | None:
    """Why this new password cannot be used, in words for the page, or None."""
    if new != again:
        return "The two new passwords differ. Please type the same one twice."
    if len(new) < MIN_PASSWORD:
        return f"Please choose a password of at least {MIN_PASSWORD} characters."
    if len(new) > 1024:
        return "Please choose a password of at most 1024 characters."
    if verify_password(officer.password_hash, new):
        return "Please choose a password different from the one you have now."
    return None


async def change_password(*, db_session: AsyncSession, officer: Officer, new: str) -> None:
    """Set a new password (Argon2id), no longer initial, and end every session of the account: the caller starts
    a new one for this browser."""
    officer.password_hash = hash_password(new)
    officer.password_must_change = False
    await db_session.execute(delete(StaffSession).where(StaffSession.officer_id == officer.id))
    await db_session.commit()


async def reset_totp(*, db_session: AsyncSession, officer: Officer) -> None:
    """Forget the account's authenticator key and end its sessions (the device may be lost); it sets up a new
    key at its next sign-in."""
    officer.totp_secret = None
    officer.totp_last_step = None
    await db_session.execute(delete(StaffSession).where(StaffSession.officer_id == officer.id))
    await db_session.commit()


async def set_active(*, db_session: AsyncSession, officer: Officer, active: bool, by: int | None = None) -> None:
    """Disable or enable an account; disabling ends every session it has at once, and its duty (audited, with
    ``by``: the administrator, or None for an operator's command)."""
    officer.is_active = active
    if not active:
        if officer.on_duty:
            db_session.add(AuditEvent(action=DUTY_OFF, officer_id=by, target=duty_target(officer.id)))
        officer.on_duty = False
        await db_session.execute(delete(StaffSession).where(StaffSession.officer_id == officer.id))
    await db_session.commit()


async def officer_for_session(*, db_session: AsyncSession, token: str | None) -> Officer | None:
    """The signed-in officer, if the session is live; expired sessions are removed."""
    now = utcnow()
    live = await _live_session(db_session, token, pending=False, now=now)
    if live is None:
        return None
    staff_session, officer = live
    if now - staff_session.last_seen_at > LAST_SEEN_PRECISION:  # not a write on every request
        staff_session.last_seen_at = now
    await db_session.commit()
    return officer


async def end_session(*, db_session: AsyncSession, token: str | None) -> None:
    """Sign out on the server: the cookie stops working everywhere."""
    if token:
        await db_session.execute(delete(StaffSession).where(StaffSession.token_hash == token_hash(token)))
        await db_session.commit()
