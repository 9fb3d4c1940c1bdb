"""Console pages: sign in, sign out, the live queue."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy import select

from handoff.api.deps import SessionDep, cookie_name
from handoff.conversations.enums import Owner
from handoff.conversations.models import Conversation
from handoff.core.db import utcnow
from handoff.officers import service as officers
from handoff.officers.models import Officer

router = APIRouter(prefix="/console", include_in_schema=False)
templates = Jinja2Templates(directory=Path(__file__).resolve().parent.parent / "templates")


async def current_officer(request: Request, db: SessionDep) -> Officer | None:
    return await officers.officer_for_session(db_session=db, token=request.cookies.get(cookie_name(request)))


OptionalOfficer = Annotated[Officer | None, Depends(current_officer)]


@router.get("", response_class=HTMLResponse)
async def queue_page(request: Request, db: SessionDep, officer: OptionalOfficer) -> Response:
    """The live queue, or the sign-in form."""
    if officer is None:
        return templates.TemplateResponse(request, "console/login.html", {"error": None})
    rows = await db.scalars(
        select(Conversation)
        .where(Conversation.owner.in_([Owner.waiting, Owner.human]))
        .order_by(Conversation.risk_level.desc(), Conversation.owner_since)
    )
    now = utcnow()
    queue = [
        {"id": c.public_id, "channel": c.channel.value, "owner": c.owner.value, "risk_flags": c.risk_flags,
         "waiting_minutes": int((now - c.owner_since).total_seconds() // 60)}
        for c in rows
    ]
    return templates.TemplateResponse(request, "console/queue.html", {"officer": officer, "queue": queue})


@router.post("/login")
async def login(
    request: Request, db: SessionDep, email: Annotated[str, Form(max_length=254)],
    password: Annotated[str, Form(max_length=1024)],
) -> Response:
    """Check the credentials and start a fresh session."""
    officer = await officers.authenticate(db_session=db, email=email, password=password)
    if officer is None:
        return templates.TemplateResponse(
            request, "console/login.html", {"error": "That email and password did not match an active account."},
            status_code=401,
        )
    await officers.end_session(db_session=db, token=request.cookies.get(cookie_name(request)))
    token = await officers.start_session(db_session=db, officer=officer)
    response = RedirectResponse("/console", status_code=303)
    response.set_cookie(
        cookie_name(request), token, httponly=True, samesite="strict", path="/",
        secure=request.app.state.ctx.settings.production,
        max_age=int(officers.ABSOLUTE_TIMEOUT.total_seconds()),
    )
    return response


@router.post("/logout")
async def logout(request: Request, db: SessionDep) -> Response:
    """End the session on the server and forget the cookie."""
    await officers.end_session(db_session=db, token=request.cookies.get(cookie_name(request)))
    response = RedirectResponse("/console", status_code=303)
    response.delete_cookie(cookie_name(request), path="/")
    return response
