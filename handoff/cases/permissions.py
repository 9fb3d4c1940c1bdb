"""What an officer may see of a case: need to know."""

from __future__ import annotations

from handoff.cases.models import Case
from handoff.officers.models import Officer, Role


def sees_all(officer: Officer) -> bool:
    """The safeguarding lead and administrators see every case."""
    return officer.role in (Role.safeguarding_lead, Role.admin)


def may_read(officer: Officer, case: Case) -> bool:
    """Need to know: the officer handling the case, or the safeguarding lead (and admins)."""
    return sees_all(officer) or case.assigned_officer_id == officer.id
