"""The whole directory for one nation, grouped by need, with what is open at a given moment.

Used by the /services page and its JSON: staff check the directory there, and students find help without
chatting. Only verified contacts are listed, with the same open-now wording the assistant uses.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from institutions.hours import london

from .loader import load_directory
from .model import Directory, Service
from .select import ContactView, _eligibility_text, _view
from .vocab import NATION_NAMES, NATIONS, normalise_nation

# The page's sections, in order: (id, heading, tags that put a service in it).
GROUPS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("sexual_violence", "Rape, sexual assault or sexual harassment", ("sexual_violence",)),
    ("harassment_bullying", "Harassment or bullying", ("harassment_bullying",)),
    ("stalking", "Stalking", ("stalking",)),
    ("online_image_abuse", "Photos or videos shared online", ("online_image_abuse",)),
    ("domestic_abuse", "Abuse at home or by a partner", ("domestic_abuse",)),
    ("mental_health_crisis", "Struggling to cope, or thoughts of suicide", ("mental_health_crisis", "suicide")),
    ("under_18", "For under-18s", ("under_18",)),
    ("lgbt", "For LGBT+ people", ("lgbt",)),
    ("men", "For men", ("men",)),
    ("crime", "Reporting a crime or harmful content", ("crime", "reporting")),
    ("listening", "Someone to listen, any time", ("emotional_support",)),
    ("staff", "For staff in education", ("staff",)),
)


@dataclass(frozen=True)
class Listed:
    """One service as the page shows it."""

    service: Service
    contacts: tuple[ContactView, ...]
    open_now: bool
    always_open: bool
    eligibility: str | None
    covers: str

    @property
    def id(self) -> str:
        return self.service.id


@dataclass(frozen=True)
class Group:
    id: str
    heading: str
    services: tuple[Listed, ...]


@dataclass(frozen=True)
class Listing:
    nation: str | None
    now: datetime
    emergency: tuple[Listed, ...]
    groups: tuple[Group, ...]
    open_now: tuple[Listed, ...]

    @property
    def nation_name(self) -> str:
        return NATION_NAMES[self.nation] if self.nation else "the whole UK"

    @property
    def first_group(self) -> dict[str, str]:
        """Service id -> the first section that lists it (where 'Open now' links to)."""
        first: dict[str, str] = {}
        for group in self.groups:
            for item in group.services:
                first.setdefault(item.id, group.id)
        return first


def covers(service: Service) -> str:
    """'All of the UK', 'Scotland', 'England and Wales'."""
    if service.uk_wide:
        return "All of the UK"
    names = [NATION_NAMES[n] for n in NATIONS if n in service.nations]
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _listed(service: Service, local: datetime) -> Listed | None:
    views = tuple(_view(service, c, local) for c in service.contacts if c.verified)
    if not views:
        return None
    return Listed(
        service=service,
        contacts=views,
        open_now=any(v.open_now for v in views),
        always_open=any(v.always_open for v in views),
        eligibility=_eligibility_text(service, None),
        covers=covers(service),
    )


def listing(nation: str | None = None, now: datetime | None = None, directory: Directory | None = None) -> Listing:
    """Services for people in `nation` (None: every service, each saying where it covers), at `now`."""
    nation = normalise_nation(nation)
    local = london(now)
    directory = directory or load_directory()
    shown = [s for s in directory.services if nation is None or nation in s.nations]
    listed = {s.id: item for s in shown if (item := _listed(s, local)) is not None}
    groups = []
    for group_id, heading, tags in GROUPS:
        # A service only for education staff is listed for staff alone.
        fits = [s for s in shown if s.id in listed and not s.emergency
                and (s.audience != "education_staff" or group_id == "staff")]
        primary = [s for s in fits if set(tags) & s.tags]
        secondary = [s for s in fits if s not in primary and set(tags) & s.also_helps]
        ordered = sorted(primary, key=lambda s: (-s.weight, s.name)) + sorted(secondary, key=lambda s: s.name)
        if ordered:
            groups.append(Group(group_id, heading, tuple(listed[s.id] for s in ordered)))
    emergency = tuple(listed[s.id] for s in shown if s.emergency and s.id in listed)
    open_now = tuple(sorted((item for item in listed.values() if item.open_now and not item.service.emergency),
                            key=lambda item: item.service.name))
    return Listing(nation=nation, now=local, emergency=emergency, groups=tuple(groups), open_now=open_now)


def _day(value: date) -> str:
    return value.isoformat()


def listing_data(result: Listing) -> dict[str, Any]:
    """JSON-ready: the groups by id, every listed service once, and what is open now."""
    services: dict[str, Any] = {}
    for item in (*result.emergency, *(i for g in result.groups for i in g.services)):
        s = item.service
        services[s.id] = {
            "name": s.name,
            "summary": s.summary,
            "eligibility": item.eligibility,
            "covers": sorted(s.nations),
            "url": s.url,
            "free": s.free,
            "cost": s.cost,
            "open_now": item.open_now,
            "always_open": item.always_open,
            "verified_on": _day(s.verified_on),
            "contacts": [
                {"kind": v.kind, "value": v.value, "href": v.href, "action": v.action, "status": v.status,
                 "open_now": v.open_now, "opens_at": v.opens_at.isoformat() if v.opens_at else None,
                 "closes_at": v.closes_at.isoformat() if v.closes_at else None, "note": v.note}
                for v in item.contacts
            ],
        }
    return {
        "nation": result.nation,
        "now": result.now.isoformat(),
        "emergency": [item.id for item in result.emergency],
        "open_now": [item.id for item in result.open_now],
        "groups": [{"id": g.id, "heading": g.heading, "services": [i.id for i in g.services]}
                   for g in result.groups],
        "services": services,
    }
