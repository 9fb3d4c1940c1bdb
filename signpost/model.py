"""The directory's entries as plain, immutable objects."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from institutions.hours import Schedule, is_bank_holiday

from .phones import digits
from .vocab import NATIONS


@dataclass(frozen=True)
class Contact:
    """One way to reach a service: a number, a text short code, a chat or web link, or an email."""

    kind: str
    value: str
    verified: bool
    label: str | None = None
    keyword: str | None = None
    schedule: Schedule | None = None
    hours: tuple[str, ...] = ()
    bank_holidays: str = "open"
    note: str | None = None
    source: str | None = None
    verified_on: date | None = None
    unverified_reason: str | None = None

    @property
    def live(self) -> bool:
        """True when someone answers in real time at set hours (phone, text, chat, or a web route with hours)."""
        return self.schedule is not None

    @property
    def always_open(self) -> bool:
        """True for contacts open 24/7."""
        return self.schedule is not None and self.schedule.always

    @property
    def href(self) -> str:
        """A link a browser or phone can open."""
        if self.kind == "phone":
            return f"tel:{digits(self.value)}"
        if self.kind == "text":
            body = f"?body={self.keyword}" if self.keyword else ""
            return f"sms:{digits(self.value)}{body}"
        if self.kind == "email":
            return f"mailto:{self.value}"
        return self.value


@dataclass(frozen=True)
class Service:
    """A support service and who it is for."""

    id: str
    name: str
    summary: str
    tags: frozenset[str]
    nations: frozenset[str]
    contacts: tuple[Contact, ...]
    url: str
    source: str
    verified_on: date
    cost: str
    free: bool
    also_helps: frozenset[str] = frozenset()
    fallback: bool = False
    emergency: bool = False
    age_min: int = 0
    age_max: int | None = None
    gender: str | None = None
    audience: str = "everyone"
    based_in: str = "england"
    weight: int = 0

    @property
    def uk_wide(self) -> bool:
        """True when the service covers all four nations."""
        return self.nations == frozenset(NATIONS)

    def closed_all_day(self, contact: Contact, day: date) -> bool:
        """True when the contact shuts for a bank holiday on `day` where the service is run from."""
        if contact.always_open or contact.bank_holidays == "open":
            return False
        # 'unknown' counts as closed: telling someone a line is open when it is not is the worse mistake.
        return is_bank_holiday(day, self.based_in)

    def is_open(self, contact: Contact, local: datetime) -> bool:
        """True when the live contact is open at `local` (London time)."""
        if contact.schedule is None:
            return False
        return contact.schedule.is_open(local, lambda day: self.closed_all_day(contact, day))

    def next_open(self, contact: Contact, local: datetime) -> datetime | None:
        """When the live contact next opens (`local` itself when open now)."""
        if contact.schedule is None:
            return None
        return contact.schedule.next_open(local, lambda day: self.closed_all_day(contact, day))

    def closes_at(self, contact: Contact, local: datetime) -> datetime | None:
        """When the live contact's current opening ends; None when closed or open 24/7."""
        if contact.schedule is None:
            return None
        closed = lambda day: self.closed_all_day(contact, day)  # noqa: E731
        end = contact.schedule.closes_at(local, closed)
        # Windows that meet (Friday 18:00-24:00, then Saturday all day) are one opening: follow them on.
        for _ in range(7):
            if end is None:
                break
            later = contact.schedule.closes_at(end, closed)
            if later is None or later <= end:
                break
            end = later
        return end


@dataclass(frozen=True)
class Directory:
    """Every service in the directory file, plus services deliberately left out and why."""

    services: tuple[Service, ...]
    excluded: tuple[dict, ...] = ()
    path: Path | None = None
    by_id: dict[str, Service] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self.by_id.update({service.id: service for service in self.services})

    def get(self, service_id: str) -> Service:
        """The service with this id (KeyError when there is none)."""
        return self.by_id[service_id]
