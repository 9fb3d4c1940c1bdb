"""The institution profile as the assistant reads it: what each field holds, its limits and allowed values.

``institutions.schema.parse_profile`` builds it from YAML, checking every field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timezone

from institutions.hours import DAY_KEYS, NATION_SUBDIVISIONS, Schedule, Window, minutes_of
from institutions.procedure import Procedure

# Characters an SMS can carry in the GSM-7 alphabet (basic and extension tables). Kept here
# so that this package stays free of other project imports.
_GSM7 = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
    "^{}\\[~]|€"
)

ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
MIDNIGHT = time.max  # a closing time of 24:00: the end of the day, not 23:59
_HOURS_PATTERN = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$")
_EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE_PATTERN = re.compile(r"^\+?[0-9][0-9 ]{4,18}[0-9]$")
_URL_PATTERN = re.compile(r"^https://[^\s]+$")

KINDS = ("apprenticeship_provider", "college", "university", "school", "local_authority")
NATIONS = ("england", "wales", "scotland", "northern_ireland")
DAYS = DAY_KEYS
UNITS = ("days", "working_days", "weeks", "months")
TIME_LIMIT_STARTS = ("behaviour_stopped", "incident")
RELATIONSHIP_RULES = ("prohibited", "must_declare", "not_stated")

# Lengths that keep every SMS built from a profile within one 320-character message.
MAX_NAME = 60
MAX_SMS_NAME = 40
MAX_TEAM = 50
MAX_CONTACT = 70
MAX_PLACE = 70
MAX_PERSON_LIST_ITEM = 45


class ProfileError(ValueError):
    """A profile file (or mapping) that does not follow the schema.

    ``source`` names the file; ``problems`` lists each field and what is wrong with it.
    """

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"{source} is not a valid institution profile:\n{lines}")


@dataclass(frozen=True)
class Duration:
    amount: int
    unit: str  # one of UNITS
    cite: str | None = None  # the policy's section that states it

    def describe(self) -> str:
        """Plain words, such as '10 working days' or '1 week'."""
        words = {
            "days": ("day", "days"),
            "working_days": ("working day", "working days"),
            "weeks": ("week", "weeks"),
            "months": ("month", "months"),
        }[self.unit]
        return f"{self.amount} {words[0] if self.amount == 1 else words[1]}"


@dataclass(frozen=True)
class TimeLimit:
    within: Duration
    starts: str  # one of TIME_LIMIT_STARTS
    cite: str | None = None

    def describe_start(self) -> str:
        """Completes 'It's 12 weeks ...': 'from when the behaviour stopped'."""
        return {
            "behaviour_stopped": "from when the behaviour stopped",
            "incident": "from the date of the incident",
        }[self.starts]


@dataclass(frozen=True)
class Teams:
    welfare: str
    safeguarding_lead: str
    wellbeing: str | None = None
    academic_support: str | None = None
    formal_reports: str | None = None  # who receives formal reports, when not the welfare team

    @property
    def report_receiver(self) -> str:
        return self.formal_reports or self.welfare


@dataclass(frozen=True)
class Contacts:
    email: str | None = None
    phone: str | None = None
    online_form: str | None = None
    anonymous_form: str | None = None
    in_person: str | None = None

    def has_any(self) -> bool:
        return any((self.email, self.phone, self.online_form, self.in_person))


@dataclass(frozen=True)
class OfficeHours:
    # Day name -> (opens, closes). Days that are not listed are closed.
    days: dict[str, tuple[time, time]] = field(default_factory=dict)
    closed_on_bank_holidays: bool = True


@dataclass(frozen=True)
class Reporting:
    time_limit: TimeLimit | None = None
    acknowledgement: Duration | None = None
    investigation_target: Duration | None = None
    appeal_window: Duration | None = None
    appeal_to: str | None = None
    in_writing: bool = False
    accompaniment: str | None = None


@dataclass(frozen=True)
class Retention:
    conversations_without_case_days: int
    closed_case_years: int


@dataclass(frozen=True)
class Term:
    """The first and last night of one term (both included)."""

    start: date
    end: date


@dataclass(frozen=True)
class Nightline:
    """The students' own Nightline: a student-run listening line, open at night in term time only."""

    name: str
    opens: time
    closes: time  # at or before `opens`: the night runs past midnight into the next morning
    terms: tuple[Term, ...]
    phone: str | None = None
    chat: str | None = None
    email: str | None = None

    def in_term(self, night: date) -> bool:
        """True when the night that starts on `night` is a term night."""
        return any(term.start <= night <= term.end for term in self.terms)

    def _schedule(self, local: datetime) -> Schedule:
        night = Window(frozenset(range(7)), minutes_of(self.opens), minutes_of(self.closes, end=True))
        return Schedule(windows=(night,), zone=local.tzinfo or timezone.utc)

    def _out_of_term(self, night: date) -> bool:
        return not self.in_term(night)

    def is_open(self, local: datetime) -> bool:
        """True when open at `local` (a time in the institution's time zone)."""
        return self._schedule(local).is_open(local, self._out_of_term)

    def next_open(self, local: datetime, horizon_days: int = 400) -> datetime | None:
        """When it next opens after `local` (None when no term night is listed within the horizon)."""
        schedule = self._schedule(local)
        after = schedule.closes_at(local, self._out_of_term) or local
        return schedule.next_open(after, self._out_of_term, horizon_days)

    def closes_at(self, local: datetime) -> datetime | None:
        """When the current night ends; None when closed now."""
        return self._schedule(local).closes_at(local, self._out_of_term)


@dataclass(frozen=True)
class ModelledOn:
    """The real policy a fictional profile follows, so a reviewer can check each fact against it."""

    publisher: str
    title: str


@dataclass(frozen=True)
class InstitutionProfile:
    id: str
    name: str
    sms_name: str
    kind: str
    nation: str
    timezone: str
    teams: Teams
    contacts: Contacts
    office_hours: OfficeHours
    reporting: Reporting
    retention: Retention
    informal_contacts: tuple[str, ...] = ()
    staff_student_relationships: str = "not_stated"
    nightline: Nightline | None = None
    procedure: Procedure = field(default_factory=Procedure)
    # How to reach whoever receives formal reports, when that team is not the welfare team (``contacts``).
    report_contacts: Contacts | None = None
    modelled_on: ModelledOn | None = None
    policy_url: str | None = None  # the full policy online, linked from quoted sections
    source: str = "<memory>"

    @property
    def reports_reached_at(self) -> Contacts:
        return self.report_contacts or self.contacts

    @property
    def holiday_subdivision(self) -> str:
        return NATION_SUBDIVISIONS[self.nation]
