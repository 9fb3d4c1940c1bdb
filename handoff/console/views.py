"""Console pages: sign in, sign out, and the console itself (the live queue, conversations, cases).

The page arrives with the queue as it is now; ``handoff/static/console.js`` then keeps it live from
``/api/console`` and ``/ws/console``, and does everything else (docs/console.md).
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from handoff.api.deps import SessionDep, cookie_name
from handoff.console.api import queue as queue_rows
from handoff.core.db import utcnow
from handoff.officers import service as officers
from handoff.officers.models import Officer

router = APIRouter(prefix="/console", include_in_schema=False)
templates = Jinja2Templates(directory=Path(__file__).resolve().parent.parent / "templates")


async def current_officer(request: Request, db: SessionDep) -> Officer | None:
    return await officers.officer_for_session(db_session=db, token=request.cookies.get(cookie_name(request)))


OptionalOfficer = Annotated[Officer | None, Depends(current_officer)]

# The same words as console.js uses.
RISK_WORDS = {
    "immediate_danger": "immediate danger", "suicide_self_harm": "suicide or self-harm",
    "recent_sexual_assault": "recent sexual assault", "under_18": "under 18",
}
URGENT = {"immediate_danger", "suicide_self_harm", "recent_sexual_assault"}
GOAL_WORDS = {"talk": "Just talk", "disclosure": "Tell what happened", "formal_report": "Formal report"}
CHANNEL_WORDS = {"webchat": "Web chat", "sms": "SMS"}


def waited(since: str, now: datetime) -> str:
    """'under 1 min', '3 min', '1 h 5 min'."""
    started = datetime.fromisoformat(since)
    if started.tzinfo is None:  # stored as UTC
        started = started.replace(tzinfo=timezone.utc)
    minutes = int((now - started).total_seconds() // 60)
    if minutes < 1:
        return "under 1 min"
    if minutes < 60:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60} min"


def queue_entry(row: dict[str, Any], officer: Officer, now: datetime) -> dict[str, Any]:
    """A row of ``/api/console/queue`` with the words the page shows."""
    waiting = row["owner"] == "waiting"
    mine = row["assigned_officer_id"] == officer.id
    return {
        **row, "waiting": waiting, "mine": mine,
        "channel_words": CHANNEL_WORDS.get(row["channel"], row["channel"]),
        "goal_words": GOAL_WORDS.get(row["goal"] or "", "Goal not given"),
        "flags": [{"id": flag, "words": RISK_WORDS.get(flag, flag.replace("_", " ")), "urgent": flag in URGENT}
                  for flag in row["risk_flags"] or []],
        "waited": ("waiting " if waiting else "with you for " if mine else "with an officer for ")
        + waited(row["waiting_since"], now),
    }


@router.get("", response_class=HTMLResponse)
async def console_page(request: Request, db: SessionDep, officer: OptionalOfficer) -> Response:
    """The console with the queue as it is now, or the sign-in form."""
    if officer is None:
        return templates.TemplateResponse(request, "console/login.html", {"error": None})
    now = utcnow()
    queue = [queue_entry(row, officer, now) for row in await queue_rows(officer, db)]
    return templates.TemplateResponse(request, "console/console.html", {"officer": officer, "queue": queue})


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
