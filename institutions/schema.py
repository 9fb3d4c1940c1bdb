"""The institution profile schema and its validation.

``parse_profile`` turns a plain mapping (as read from YAML) into an ``InstitutionProfile``.
Every problem found is collected, so one run of the validator lists all of them, each with
the dotted path of the field and what is wrong with it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from institutions.procedure import MAX_CITE, Procedure, parse_procedure

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
NATION_SUBDIVISIONS = {"england": "ENG", "wales": "WLS", "scotland": "SCT", "northern_ireland": "NIR"}
DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
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

    @property
    def overnight(self) -> bool:
        return self.closes <= self.opens

    def in_term(self, night: date) -> bool:
        """True when the night that starts on `night` is a term night."""
        return any(term.start <= night <= term.end for term in self.terms)

    def is_open(self, local: datetime) -> bool:
        """True when open at `local` (a time in the institution's time zone)."""
        clock, today = local.time().replace(tzinfo=None), local.date()
        if not self.overnight:
            return self.in_term(today) and self.opens <= clock < self.closes
        if clock >= self.opens:
            return self.in_term(today)
        return clock < self.closes and self.in_term(today - timedelta(days=1))

    def next_open(self, local: datetime, horizon_days: int = 400) -> datetime | None:
        """When it next opens after `local` (None when no term night is listed within the horizon)."""
        for offset in range(horizon_days + 1):
            night = local.date() + timedelta(days=offset)
            start = datetime.combine(night, self.opens, tzinfo=local.tzinfo)
            if start > local and self.in_term(night):
                return start
        return None

    def closes_at(self, local: datetime) -> datetime | None:
        """When the current night ends; None when closed now."""
        if not self.is_open(local):
            return None
        night = local.date() if (not self.overnight or local.time().replace(tzinfo=None) >= self.opens) \
            else local.date() - timedelta(days=1)
        end_day = night + timedelta(days=1) if self.overnight else night
        return datetime.combine(end_day, self.closes, tzinfo=local.tzinfo)


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


# --- validation -----------------------------------------------------------------------------

_MISSING = object()


class _Checker:
    """Reads fields from a mapping and records every problem with its dotted path."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def problem(self, path: str, message: str) -> None:
        self.problems.append(f"{path}: {message}")

    def mapping(self, data: Any, path: str, *, required: bool = True) -> Mapping[str, Any] | None:
        if data is _MISSING or data is None:
            if required:
                self.problem(path, "is required (a mapping of fields)")
            return None
        if not isinstance(data, Mapping):
            self.problem(path, f"must be a mapping of fields (got {_kind(data)})")
            return None
        return data

    def unknown(self, data: Mapping[str, Any], allowed: tuple[str, ...], path: str) -> None:
        for key in data:
            if key not in allowed:
                where = f"{path}.{key}" if path else str(key)
                self.problem(where, f"is not a known field (known fields: {', '.join(allowed)})")

    def text(
        self,
        data: Mapping[str, Any],
        key: str,
        path: str,
        *,
        required: bool = True,
        max_len: int = 120,
        gsm: bool = True,
        pattern: re.Pattern[str] | None = None,
        pattern_hint: str = "",
    ) -> str | None:
        where = f"{path}.{key}" if path else key
        return self.text_value(
            data.get(key, _MISSING), where, required=required, max_len=max_len, gsm=gsm,
            pattern=pattern, pattern_hint=pattern_hint,
        )

    def text_value(
        self,
        value: Any,
        where: str,
        *,
        required: bool = True,
        max_len: int = 120,
        gsm: bool = True,
        pattern: re.Pattern[str] | None = None,
        pattern_hint: str = "",
    ) -> str | None:
        if value is _MISSING or value is None:
            if required:
                self.problem(where, "is required")
            return None
        if not isinstance(value, str):
            self.problem(where, f"must be text (got {_kind(value)})")
            return None
        value = value.strip()
        if not value:
            self.problem(where, "must not be empty")
            return None
        if len(value) > max_len:
            self.problem(where, f"must be at most {max_len} characters (got {len(value)})")
        if gsm:
            bad = sorted({ch for ch in value if ch not in _GSM7})
            if bad:
                shown = " ".join(repr(ch) for ch in bad)
                self.problem(where, f"contains characters that SMS cannot carry ({shown}); use plain letters")
        if pattern is not None and not pattern.match(value):
            self.problem(where, f"must be {pattern_hint} (got {value!r})")
        return value

    def choice(
        self, data: Mapping[str, Any], key: str, path: str, options: tuple[str, ...], *, default: str | None = None
    ) -> str | None:
        where = f"{path}.{key}" if path else key
        value = data.get(key, _MISSING)
        if value is _MISSING or value is None:
            if default is None:
                self.problem(where, f"is required (one of {', '.join(options)})")
            return default
        if value not in options:
            self.problem(where, f"must be one of {', '.join(options)} (got {value!r})")
            return default
        return value

    def boolean(self, data: Mapping[str, Any], key: str, path: str, *, default: bool) -> bool:
        where = f"{path}.{key}" if path else key
        value = data.get(key, _MISSING)
        if value is _MISSING or value is None:
            return default
        if not isinstance(value, bool):
            self.problem(where, f"must be true or false (got {value!r})")
            return default
        return value

    def integer(
        self, data: Mapping[str, Any], key: str, path: str, *, minimum: int, maximum: int
    ) -> int | None:
        where = f"{path}.{key}" if path else key
        value = data.get(key, _MISSING)
        if value is _MISSING or value is None:
            self.problem(where, "is required (a whole number)")
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.problem(where, f"must be a whole number (got {value!r})")
            return None
        if not minimum <= value <= maximum:
            self.problem(where, f"must be between {minimum} and {maximum} (got {value})")
            return None
        return value


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, str):
        return "text"
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, Mapping):
        return "a mapping"
    return type(value).__name__


def _duration(check: _Checker, data: Mapping[str, Any], key: str, path: str) -> Duration | None:
    where = f"{path}.{key}"
    raw = data.get(key, _MISSING)
    if raw is _MISSING or raw is None:
        return None
    body = check.mapping(raw, where)
    if body is None:
        return None
    check.unknown(body, ("amount", "unit", "cite"), where)
    amount = check.integer(body, "amount", where, minimum=1, maximum=520)
    unit = check.choice(body, "unit", where, UNITS)
    cite = check.text(body, "cite", where, required=False, max_len=MAX_CITE)
    if amount is None or unit is None:
        return None
    return Duration(amount=amount, unit=unit, cite=cite)


def _office_hours(check: _Checker, raw: Any) -> OfficeHours:
    body = check.mapping(raw, "office_hours")
    if body is None:
        return OfficeHours()
    check.unknown(body, (*DAYS, "closed_on_bank_holidays"), "office_hours")
    days: dict[str, tuple[time, time]] = {}
    for day in DAYS:
        value = body.get(day)
        if value is None:
            continue
        where = f"office_hours.{day}"
        match = _HOURS_PATTERN.match(value) if isinstance(value, str) else None
        if match is None:
            check.problem(where, f"must look like \"09:00-17:00\" (24-hour clock) (got {value!r})")
            continue
        opens = time(int(match[1]), int(match[2]))
        close_hour, close_minute = int(match[3]), int(match[4])
        if close_hour == 24 and close_minute:
            check.problem(where, f"cannot close after 24:00, midnight (got {value!r})")
            continue
        closes = MIDNIGHT if close_hour == 24 else time(close_hour, close_minute)  # 24:00: open to the end of the day
        if closes <= opens:
            check.problem(where, f"must close after it opens (got {value!r})")
            continue
        days[day] = (opens, closes)
    if not days:
        check.problem("office_hours", "must list at least one day with opening hours, such as monday: 09:00-17:00")
    return OfficeHours(
        days=days,
        closed_on_bank_holidays=check.boolean(body, "closed_on_bank_holidays", "office_hours", default=True),
    )


_TOP_LEVEL = (
    "id",
    "name",
    "sms_name",
    "kind",
    "nation",
    "timezone",
    "teams",
    "informal_contacts",
    "contacts",
    "office_hours",
    "reporting",
    "staff_student_relationships",
    "retention",
    "nightline",
    "procedure",
    "modelled_on",
    "report_contacts",
    "policy_url",
)


def parse_profile(data: Any, source: str = "<memory>") -> InstitutionProfile:
    """Validate a mapping read from YAML and return the profile, or raise ``ProfileError``."""
    check = _Checker()
    if not isinstance(data, Mapping):
        raise ProfileError(source, [f"the file must hold a mapping of fields (got {_kind(data)})"])
    check.unknown(data, _TOP_LEVEL, "")

    ident = check.text(data, "id", "", max_len=63, pattern=ID_PATTERN,
                       pattern_hint="lower-case letters, digits, '-' or '_'")
    name = check.text(data, "name", "", max_len=MAX_NAME, gsm=False)
    sms_name = check.text(data, "sms_name", "", required=False, max_len=MAX_SMS_NAME)
    if sms_name is None and name is not None:
        if any(ch not in _GSM7 for ch in name):
            check.problem("sms_name", "is required because name has characters that SMS cannot carry")
        elif len(name) > MAX_SMS_NAME:
            check.problem("sms_name", f"is required because name is longer than {MAX_SMS_NAME} characters")
        else:
            sms_name = name
    kind = check.choice(data, "kind", "", KINDS)
    nation = check.choice(data, "nation", "", NATIONS)
    timezone = check.text(data, "timezone", "", required=False, max_len=64) or "Europe/London"
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        check.problem("timezone", f"must be an IANA time zone such as Europe/London (got {timezone!r})")

    teams = _teams(check, data.get("teams", _MISSING))
    informal = _informal_contacts(check, data.get("informal_contacts", _MISSING))
    contacts = _contacts(check, data.get("contacts", _MISSING))
    hours = _office_hours(check, data.get("office_hours", _MISSING))
    reporting = _reporting(check, data.get("reporting", _MISSING))
    relationships = check.choice(
        data, "staff_student_relationships", "", RELATIONSHIP_RULES, default="not_stated"
    )
    retention = _retention(check, data.get("retention", _MISSING))
    nightline = _nightline(check, data.get("nightline"))
    procedure = parse_procedure(check, data.get("procedure"))
    report_contacts = None
    if data.get("report_contacts") is not None:
        report_contacts = _contacts(check, data.get("report_contacts"), "report_contacts")
        if teams is not None and not teams.formal_reports:
            check.problem("report_contacts", "is only for a formal_reports team that differs from the welfare "
                                             "team: name it in teams.formal_reports")
    modelled_on = _modelled_on(check, data.get("modelled_on"))
    policy_url = check.text(data, "policy_url", "", required=False, max_len=MAX_CONTACT, pattern=_URL_PATTERN,
                            pattern_hint="an https:// address")
    if (reporting.appeal_window or reporting.appeal_to) and procedure.appeal is None:
        check.problem("procedure.appeal", "is required when reporting.appeal_window or appeal_to is given "
                                          "(the policy's appeal section, with its cite)")

    if check.problems or not (ident and name and sms_name and kind and nation and teams and retention):
        raise ProfileError(source, check.problems or ["the profile is incomplete"])
    return InstitutionProfile(
        id=ident,
        name=name,
        sms_name=sms_name,
        kind=kind,
        nation=nation,
        timezone=timezone,
        teams=teams,
        contacts=contacts,
        office_hours=hours,
        reporting=reporting,
        retention=retention,
        informal_contacts=informal,
        staff_student_relationships=relationships or "not_stated",
        nightline=nightline,
        procedure=procedure,
        report_contacts=report_contacts,
        modelled_on=modelled_on,
        policy_url=policy_url,
        source=source,
    )


def _modelled_on(check: _Checker, raw: Any) -> ModelledOn | None:
    if raw is None:
        return None
    body = check.mapping(raw, "modelled_on")
    if body is None:
        return None
    check.unknown(body, ("publisher", "title"), "modelled_on")
    publisher = check.text(body, "publisher", "modelled_on", max_len=120, gsm=False)
    title = check.text(body, "title", "modelled_on", max_len=200, gsm=False)
    return ModelledOn(publisher, title) if publisher and title else None


def _teams(check: _Checker, raw: Any) -> Teams | None:
    body = check.mapping(raw, "teams")
    if body is None:
        return None
    allowed = ("welfare", "safeguarding_lead", "wellbeing", "academic_support", "formal_reports")
    check.unknown(body, allowed, "teams")
    welfare = check.text(body, "welfare", "teams", max_len=MAX_TEAM)
    lead = check.text(body, "safeguarding_lead", "teams", max_len=MAX_TEAM)
    optional = {
        key: check.text(body, key, "teams", required=False, max_len=MAX_TEAM)
        for key in ("wellbeing", "academic_support", "formal_reports")
    }
    if welfare is None or lead is None:
        return None
    return Teams(welfare=welfare, safeguarding_lead=lead, **optional)


def _informal_contacts(check: _Checker, raw: Any) -> tuple[str, ...]:
    if raw is _MISSING or raw is None:
        check.problem("informal_contacts", "is required (a list of who people can talk to informally)")
        return ()
    if not isinstance(raw, list):
        check.problem("informal_contacts", f"must be a list (got {_kind(raw)})")
        return ()
    if not 1 <= len(raw) <= 4:
        check.problem("informal_contacts", f"must list between 1 and 4 contacts (got {len(raw)})")
    out: list[str] = []
    for index, item in enumerate(raw):
        value = check.text_value(item, f"informal_contacts[{index}]", max_len=MAX_PERSON_LIST_ITEM)
        if value is not None:
            out.append(value)
    return tuple(out)


def _contacts(check: _Checker, raw: Any, where: str = "contacts") -> Contacts:
    body = check.mapping(raw, where)
    if body is None:
        return Contacts()
    allowed = ("email", "phone", "online_form", "anonymous_form", "in_person")
    check.unknown(body, allowed, where)
    contacts = Contacts(
        email=check.text(body, "email", where, required=False, max_len=MAX_CONTACT,
                         pattern=_EMAIL_PATTERN, pattern_hint="an email address"),
        phone=check.text(body, "phone", where, required=False, max_len=20,
                         pattern=_PHONE_PATTERN, pattern_hint="a phone number of digits and spaces"),
        online_form=check.text(body, "online_form", where, required=False, max_len=MAX_CONTACT,
                               pattern=_URL_PATTERN, pattern_hint="an https:// address"),
        anonymous_form=check.text(body, "anonymous_form", where, required=False, max_len=MAX_CONTACT,
                                  pattern=_URL_PATTERN, pattern_hint="an https:// address"),
        in_person=check.text(body, "in_person", where, required=False, max_len=MAX_PLACE),
    )
    if not contacts.has_any():
        check.problem(where, "must give at least one of email, phone, online_form or in_person")
    return contacts


def _reporting(check: _Checker, raw: Any) -> Reporting:
    body = check.mapping(raw, "reporting")
    if body is None:
        return Reporting()
    allowed = (
        "time_limit",
        "acknowledgement",
        "investigation_target",
        "appeal_window",
        "appeal_to",
        "in_writing",
        "accompaniment",
    )
    check.unknown(body, allowed, "reporting")
    time_limit = None
    raw_limit = body.get("time_limit")
    if raw_limit is not None:
        limit = check.mapping(raw_limit, "reporting.time_limit")
        if limit is not None:
            check.unknown(limit, ("within", "starts", "cite"), "reporting.time_limit")
            within = _duration(check, limit, "within", "reporting.time_limit")
            if within is None and "within" not in limit:
                check.problem("reporting.time_limit.within", "is required (amount and unit)")
            starts = check.choice(limit, "starts", "reporting.time_limit", TIME_LIMIT_STARTS)
            cite = check.text(limit, "cite", "reporting.time_limit", required=False, max_len=MAX_CITE)
            if within is not None and starts is not None:
                time_limit = TimeLimit(within=within, starts=starts, cite=cite)
    return Reporting(
        time_limit=time_limit,
        acknowledgement=_duration(check, body, "acknowledgement", "reporting"),
        investigation_target=_duration(check, body, "investigation_target", "reporting"),
        appeal_window=_duration(check, body, "appeal_window", "reporting"),
        appeal_to=check.text(body, "appeal_to", "reporting", required=False, max_len=MAX_TEAM),
        in_writing=check.boolean(body, "in_writing", "reporting", default=False),
        accompaniment=check.text(body, "accompaniment", "reporting", required=False, max_len=80),
    )


def _retention(check: _Checker, raw: Any) -> Retention | None:
    body = check.mapping(raw, "retention")
    if body is None:
        return None
    check.unknown(body, ("conversations_without_case_days", "closed_case_years"), "retention")
    days = check.integer(body, "conversations_without_case_days", "retention", minimum=1, maximum=365)
    years = check.integer(body, "closed_case_years", "retention", minimum=1, maximum=25)
    if days is None or years is None:
        return None
    return Retention(conversations_without_case_days=days, closed_case_years=years)


_NIGHT_HOURS = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$")
MAX_TERMS = 12


def _day(check: _Checker, value: Any, where: str) -> date | None:
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value)
        except ValueError:
            pass
    if isinstance(value, datetime) or not isinstance(value, date):
        check.problem(where, f"must be a date such as 2026-09-21 (got {value!r})")
        return None
    return value


def _nightline(check: _Checker, raw: Any) -> Nightline | None:
    """The optional students' Nightline: a name, a way to reach it, its nightly hours and its term dates."""
    if raw is None:
        return None
    body = check.mapping(raw, "nightline")
    if body is None:
        return None
    check.unknown(body, ("name", "phone", "chat", "email", "hours", "terms"), "nightline")
    name = check.text(body, "name", "nightline", max_len=MAX_NAME)
    before = len(check.problems)
    phone = check.text(body, "phone", "nightline", required=False, max_len=20,
                       pattern=_PHONE_PATTERN, pattern_hint="a phone number of digits and spaces")
    chat = check.text(body, "chat", "nightline", required=False, max_len=MAX_CONTACT,
                      pattern=_URL_PATTERN, pattern_hint="an https:// address")
    email = check.text(body, "email", "nightline", required=False, max_len=MAX_CONTACT,
                       pattern=_EMAIL_PATTERN, pattern_hint="an email address")
    if not (phone or chat or email) and len(check.problems) == before:  # (a malformed one is reported already)
        check.problem("nightline", "must give at least one of phone, chat or email")
    hours = body.get("hours")
    match = _NIGHT_HOURS.match(hours) if isinstance(hours, str) else None
    opens = closes = None
    if match is None:
        check.problem("nightline.hours", f"must look like \"20:00-08:00\" (24-hour clock; may run past midnight) "
                                         f"(got {hours!r})")
    else:
        opens, closes = time(int(match[1]), int(match[2])), time(int(match[3]), int(match[4]))
        if opens == closes:
            check.problem("nightline.hours", f"must not open and close at the same time (got {hours!r})")
    terms = _terms(check, body.get("terms"))
    if check.problems or not (name and opens and closes is not None and terms):
        return None
    return Nightline(name=name, opens=opens, closes=closes, terms=terms, phone=phone, chat=chat, email=email)


def _terms(check: _Checker, raw: Any) -> tuple[Term, ...]:
    if not isinstance(raw, list) or not 1 <= len(raw) <= MAX_TERMS:
        check.problem("nightline.terms", f"must list 1 to {MAX_TERMS} terms, each {{start: 2026-09-21, end: "
                                         f"2026-12-11}} (got {_kind(raw) if raw is not None else 'nothing'})")
        return ()
    terms: list[Term] = []
    for index, item in enumerate(raw):
        where = f"nightline.terms[{index}]"
        body = check.mapping(item, where)
        if body is None:
            continue
        check.unknown(body, ("start", "end"), where)
        start, end = _day(check, body.get("start"), f"{where}.start"), _day(check, body.get("end"), f"{where}.end")
        if start is None or end is None:
            continue
        if end < start:
            check.problem(where, f"ends ({end}) before it starts ({start})")
            continue
        if terms and start <= terms[-1].end:
            check.problem(where, f"must start after the term before it ends ({terms[-1].end}); list terms in order")
            continue
        terms.append(Term(start, end))
    return tuple(terms)
