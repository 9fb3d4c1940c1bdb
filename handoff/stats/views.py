"""The statistics page and its CSV, for the safeguarding lead and admins (docs/statistics.md)."""

from __future__ import annotations

import csv
import io
import logging
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response

from handoff.api.deps import SessionDep
from handoff.core.db import utcnow
from handoff.officers.audit import AuditedRoute
from handoff.officers.deps import OptionalOfficer
from handoff.officers.models import Officer, Role
from handoff.officers.web import page
from handoff.stats import service
from handoff.stats.report import BadRange, csv_rows, default_range, month_code, parse_range
from institutions import load_profile

logger = logging.getLogger(__name__)
router = APIRouter(prefix="/console", include_in_schema=False, route_class=AuditedRoute)  # refusals are audited

REFUSED = "Statistics are for the safeguarding lead and administrators. Ask one of them if you need figures."
MonthQuery = Annotated[str | None, Query(alias="from")]
ToQuery = Annotated[str | None, Query(alias="to")]


def may_see_statistics(officer: Officer) -> bool:
    return officer.role in (Role.safeguarding_lead, Role.admin)


@router.get("/stats", response_class=HTMLResponse)
async def stats_page(request: Request, db: SessionDep, officer: OptionalOfficer,
                     start: MonthQuery = None, end: ToQuery = None) -> Response:
    """Charts and tables of the protected counts, a month picker, and the CSV link."""
    if officer is None:
        return RedirectResponse("/console", status_code=303)
    if not may_see_statistics(officer):
        return page(request, "console/stats.html", {"officer": officer, "refused": REFUSED}, status_code=403)
    profile = load_profile(request.app.state.ctx.settings.institution_id)
    zone = ZoneInfo(profile.timezone)
    today = utcnow().astimezone(zone).date()
    try:
        first, last = parse_range(start, end, today)
    except BadRange as exc:
        default_first, default_last = default_range(today)
        return page(request, "console/stats.html", {
            "officer": officer, "error": str(exc), "report": None,
            "from_value": (start or month_code(default_first))[:20], "to_value": (end or month_code(default_last))[:20],
        }, status_code=400)
    report = await service.report(db_session=db, profile=profile, start=first, end=last)
    logger.info("statistics viewed by officer %s", officer.id)
    return page(request, "console/stats.html", {
        "officer": officer, "error": None, "report": report, "from_value": month_code(first),
        "to_value": month_code(last),
    })


@router.get("/stats.csv")
async def stats_csv(request: Request, db: SessionDep, officer: OptionalOfficer,
                    start: MonthQuery = None, end: ToQuery = None) -> Response:
    """The same protected numbers as the page, as a file to open in a spreadsheet."""
    if officer is None:
        return RedirectResponse("/console", status_code=303)
    if not may_see_statistics(officer):
        return PlainTextResponse(REFUSED, status_code=403)
    profile = load_profile(request.app.state.ctx.settings.institution_id)
    today = utcnow().astimezone(ZoneInfo(profile.timezone)).date()
    try:
        first, last = parse_range(start, end, today)
    except BadRange as exc:
        return PlainTextResponse(str(exc), status_code=400)
    report = await service.report(db_session=db, profile=profile, start=first, end=last)
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(csv_rows(report))
    logger.info("statistics downloaded by officer %s", officer.id)
    filename = f"statistics-{month_code(first)}-to-{month_code(last)}.csv"
    return Response(buffer.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
