"""Plain database functions for staff accounts and their sign-in sessions."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from handoff.core.db import utcnow
from handoff.core.security import hash_password, new_token, token_hash, verify_password
from handoff.officers.models import Officer, Role, StaffSession

IDLE_TIMEOUT = timedelta(minutes=30)
ABSOLUTE_TIMEOUT = timedelta(hours=10)
_DUMMY_HASH = hash_password("not-a-real-password")


async def count(*, db_session: AsyncSession) -> int:
    """How many staff accounts exist."""
    return int(await db_session.scalar(select(func.count(Officer.id))) or 0)


async def create(
    *, db_session: AsyncSession, email: str, display_name: str, role: Role, password: str
) -> Officer:
    """A new staff account with an Argon2id password hash."""
    if len(password) < 12:
        raise ValueError("a password needs at least 12 characters")
    officer = Officer(
        email=email.strip().lower(), display_name=display_name.strip(), role=role,
        password_hash=hash_password(password),
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


async def start_session(*, db_session: AsyncSession, officer: Officer) -> str:
    """A new sign-in session; returns the cookie value (only its hash is stored)."""
    token = new_token()
    db_session.add(StaffSession(token_hash=token_hash(token), officer_id=officer.id))
    await db_session.commit()
    return token


async def officer_for_session(*, db_session: AsyncSession, token: str | None) -> Officer | None:
    """The signed-in officer, if the session is live; expired sessions are removed."""
    if not token or len(token) > 128:
        return None
    staff_session = await db_session.scalar(
        select(StaffSession).where(StaffSession.token_hash == token_hash(token))
    )
    if staff_session is None:
        return None
    now = utcnow()
    if now - staff_session.last_seen_at > IDLE_TIMEOUT or now - staff_session.created_at > ABSOLUTE_TIMEOUT:
        await db_session.delete(staff_session)
        await db_session.commit()
        return None
    officer = await db_session.get(Officer, staff_session.officer_id)
    if officer is None or not officer.is_active:
        return None
    staff_session.last_seen_at = now
    await db_session.commit()
    return officer


async def end_session(*, db_session: AsyncSession, token: str | None) -> None:
    """Sign out on the server: the cookie stops working everywhere."""
    if token:
        await db_session.execute(delete(StaffSession).where(StaffSession.token_hash == token_hash(token)))
        await db_session.commit()
