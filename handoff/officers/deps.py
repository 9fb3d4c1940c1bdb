"""Who is asking: the signed-in officer as a FastAPI dependency, for the console's pages, its API and statistics."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request

from handoff.api.deps import SessionDep, cookie_name
from handoff.officers import csrf
from handoff.officers import service as officers
from handoff.officers.models import Officer


async def signed_in(request: Request, db: SessionDep) -> Officer:
    """The officer of this request's session (401 without one); a change must carry the session's CSRF token."""
    officer = await officers.officer_for_session(db_session=db, token=request.cookies.get(cookie_name(request)))
    if officer is None:
        raise HTTPException(status_code=401, detail="sign in first")
    request.state.officer_id = officer.id  # for the audit row of a refusal
    if request.method not in ("GET", "HEAD"):
        if not csrf.allowed(request, request.headers.get(csrf.HEADER)):
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
