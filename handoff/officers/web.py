"""What the console's HTML pages share: templates, the form token, cookies and refusals."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from handoff.api.deps import cookie_name
from handoff.officers import audit, csrf, service
from handoff.officers.models import Officer

templates = Jinja2Templates(directory=Path(__file__).resolve().parent.parent / "templates")

FORGED = ("This form could not be accepted: it may have been open too long, or come from another site. "
          "Nothing was changed. Please try again from this page.")


def page(
    request: Request, name: str, context: dict[str, Any] | None = None, *, status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    """A console page with this browser's form token; Referrer-Policy same-origin lets forms send their Origin."""
    response = templates.TemplateResponse(
        request, name, {**(context or {}), "csrf": csrf.token(request)}, status_code=status_code,
        headers=headers,
    )
    csrf.remember(request, response)
    response.headers["Referrer-Policy"] = "same-origin"
    return response


def session_cookie(request: Request, response: RedirectResponse, token: str) -> None:
    """The sign-in cookie: HttpOnly, SameSite=Strict, Secure and __Host- in production."""
    response.set_cookie(
        cookie_name(request), token, httponly=True, samesite="strict", path="/",
        secure=request.app.state.ctx.settings.production,
        max_age=int(service.ABSOLUTE_TIMEOUT.total_seconds()),
    )


async def refuse_forged(request: Request, officer: Officer | None, name: str, context: dict[str, Any]) -> HTMLResponse:
    """403 for a form without a good token or from another origin; audited, and nothing changes."""
    request.state.audited = True
    await audit.record_refusal(request, audit.CSRF_REFUSED, officer_id=officer.id if officer else None)
    return page(request, name, {**context, "error": FORGED}, status_code=403)
