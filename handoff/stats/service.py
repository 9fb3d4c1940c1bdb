"""Reading the facts the statistics need from the cases table, and nothing else."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from handoff.cases.models import Case
from handoff.stats.report import CaseFacts, Report, build_report, range_bounds
from institutions import InstitutionProfile
from institutions.hours import open_status


async def case_facts(*, db_session: AsyncSession, opened_from: datetime, opened_before: datetime) -> list[CaseFacts]:
    """Times, channel and category of the cases opened in a period: no references, text or officers."""
    rows = await db_session.execute(
        select(Case.created_at, Case.channel, Case.category, Case.first_response_at, Case.closed_at).where(
            Case.created_at >= opened_from, Case.created_at < opened_before
        )
    )
    return [CaseFacts(*row) for row in rows.all()]


async def report(*, db_session: AsyncSession, profile: InstitutionProfile, start: date, end: date) -> Report:
    """The anonymised report for the months from ``start`` to ``end``, in the institution's time zone.

    In or out of office hours is worked out from when each case was opened and the profile's office hours (with
    bank holidays), as the service decides it for students; nobody being on duty does not count as out of hours.
    """
    zone = ZoneInfo(profile.timezone)
    opened_from, opened_before = range_bounds(start, end, zone)
    facts = await case_facts(db_session=db_session, opened_from=opened_from, opened_before=opened_before)
    return build_report(facts, start=start, end=end, zone=zone,
                        in_office_hours=lambda moment: open_status(profile, moment).open_now)
