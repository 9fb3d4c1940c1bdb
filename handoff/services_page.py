"""The support services page: the whole directory by need, with who is open now, and the same data as JSON.

Staff check the directory here; students find help without chatting. No JavaScript, no third-party assets.
"""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.templating import Jinja2Templates

from handoff.core.config import Settings, get_settings
from institutions import InstitutionProfile, ProfileError, load_profile
from institutions.hours import LONDON, when_text
from signpost.listing import listing, listing_data
from signpost.vocab import NATION_NAMES, NATIONS

logger = logging.getLogger(__name__)
templates = Jinja2Templates(directory=Path(__file__).resolve().parent / "templates")
router = APIRouter(include_in_schema=False)
ALL = "uk"  # ?nation=uk: every service, each saying where it covers


def _settings(request: Request) -> Settings:
    ctx = getattr(request.app.state, "ctx", None)
    return ctx.settings if ctx is not None else get_settings()


def _profile(request: Request) -> InstitutionProfile | None:
    try:
        return load_profile(_settings(request).institution_id)
    except ProfileError:
        logger.warning("services page: the institution profile could not be loaded; listing every nation")
        return None


def _nation(asked: str | None, profile: InstitutionProfile | None) -> str | None:
    """The nation asked for in the address, else the institution's; None means the whole UK."""
    if asked == ALL:
        return None
    if asked in NATIONS:
        return asked
    return profile.nation if profile else None


def _nightline(profile: InstitutionProfile | None, now: datetime) -> dict[str, Any] | None:
    """The institution's Nightline with its state now (term nights only), or None when it has none."""
    nightline = profile.nightline if profile else None
    if nightline is None or profile is None:
        return None
    local = now.astimezone(LONDON)
    open_now = nightline.is_open(local)
    closes, opens = nightline.closes_at(local), None if open_now else nightline.next_open(local)
    if open_now and closes is not None:
        status = f"open now until {closes.strftime('%H:%M')}"
    elif opens is not None:
        status = f"opens {when_text(opens, local)}"
    else:
        status = "closed: no term dates listed"
    contacts = [
        {"kind": kind, "value": value, "href": href, "action": action}
        for kind, value, href, action in (
            ("phone", nightline.phone, f"tel:{(nightline.phone or '').replace(' ', '')}", f"Call {nightline.phone}"),
            ("chat", nightline.chat, nightline.chat, f"Chat online: {nightline.chat}"),
            ("email", nightline.email, f"mailto:{nightline.email}", f"Email {nightline.email}"),
        ) if value
    ]
    return {"name": nightline.name, "open_now": open_now, "status": status, "contacts": contacts,
            "hours": f"{nightline.opens.strftime('%H:%M')} to {nightline.closes.strftime('%H:%M')}",
            "terms": [{"start": t.start.isoformat(), "end": t.end.isoformat()} for t in nightline.terms]}


@router.get("/services", response_class=HTMLResponse)
async def services_page(request: Request, nation: str | None = None) -> HTMLResponse:
    profile = _profile(request)
    result = listing(_nation(nation, profile), datetime.now(LONDON))
    return templates.TemplateResponse(request, "services.html", {
        "listing": result, "nightline": _nightline(profile, result.now), "nations": NATION_NAMES, "all": ALL,
        "institution": profile.name if profile else None,
        "checked_at": result.now.strftime("%H:%M on %A %-d %B %Y"),
    })


@router.get("/services.json")
async def services_data(request: Request, nation: str | None = None) -> JSONResponse:
    profile = _profile(request)
    result = listing(_nation(nation, profile), datetime.now(LONDON))
    return JSONResponse({**listing_data(result), "nightline": _nightline(profile, result.now)})
