"""Who is asking: the signed-in officer as a FastAPI dependency, for the console's pages, its API and statistics."""

from __future__ import annotations

import hashlib
import hmac
from typing import Annotated

from fastapi import Depends, HTTPException, Request

from handoff.api.deps import SessionDep, cookie_name
from handoff.context import AppContext
from handoff.officers import service as officers
from handoff.officers.models import Officer


def csrf_token(ctx: AppContext, session_token: str) -> str:
    """A token bound to the sign-in session, sent back by the console in a header on every change."""
    return hmac.new(ctx.settings.secret_key.encode(), f"csrf:{session_token}".encode(), hashlib.sha256).hexdigest()


async def signed_in(request: Request, db: SessionDep) -> Officer:
    """The officer of this request's session (401 without one); a change must carry the session's CSRF token."""
    officer = await officers.officer_for_session(db_session=db, token=request.cookies.get(cookie_name(request)))
    if officer is None:
        raise HTTPException(status_code=401, detail="sign in first")
    request.state.officer_id = officer.id  # for the audit row of a refusal
    if request.method not in ("GET", "HEAD"):
        expected = csrf_token(request.app.state.ctx, request.cookies.get(cookie_name(request), ""))
        if not hmac.compare_digest(request.headers.get("x-csrf-token", ""), expected):
            raise HTTPException(status_code=403, detail="missing or wrong CSRF token")
    return officer


async def current_officer(request: Request, db: SessionDep) -> Officer | None:
    """The officer of this request's session, or None (a page then offers to sign in)."""
    officer = await officers.officer_for_session(db_session=db, token=request.cookies.get(cookie_name(request)))
    if officer is not None:
        request.state.officer_id = officer.id
    return officer


OfficerDep = Annotated[Officer, Depends(signed_in)]
OptionalOfficer = Annotated[Officer | None, Depends(current_officer)]
