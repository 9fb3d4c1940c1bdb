"""Validation of an institution profile.

``parse_profile`` turns a plain mapping (as read from YAML) into an ``InstitutionProfile`` (institutions/profile.py).
Every problem found is collected, so one run of the validator lists all of them, each with
the dotted path of the field and what is wrong with it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from institutions.checker import MISSING, Checker, kind_of
from institutions.procedure import MAX_CITE, parse_procedure
from institutions.profile import (
    _EMAIL_PATTERN,
    _GSM7,
    _HOURS_PATTERN,
    _PHONE_PATTERN,
    _URL_PATTERN,
    DAYS,
    ID_PATTERN,
    KINDS,
    MAX_CONTACT,
    MAX_NAME,
    MAX_PERSON_LIST_ITEM,
    MAX_PLACE,
    MAX_SMS_NAME,
    MAX_TEAM,
    MIDNIGHT,
    NATIONS,
    RELATIONSHIP_RULES,
    TIME_LIMIT_STARTS,
    UNITS,
    Contacts,
    Duration,
    InstitutionProfile,
    ModelledOn,
    Nightline,
    OfficeHours,
    ProfileError,
    Reporting,
    Retention,
    Teams,
    Term,
    TimeLimit,
)


def _duration(check: Checker, data: Mapping[str, Any], key: str, path: str) -> Duration | None:
    where = f"{path}.{key}"
    raw = data.get(key, MISSING)
    if raw is MISSING or raw is None:
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


def _office_hours(check: Checker, raw: Any) -> OfficeHours:
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
    check = Checker()
    if not isinstance(data, Mapping):
        raise ProfileError(source, [f"the file must hold a mapping of fields (got {kind_of(data)})"])
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

    teams = _teams(check, data.get("teams", MISSING))
    informal = _informal_contacts(check, data.get("informal_contacts", MISSING))
    contacts = _contacts(check, data.get("contacts", MISSING))
    hours = _office_hours(check, data.get("office_hours", MISSING))
    reporting = _reporting(check, data.get("reporting", MISSING))
    relationships = check.choice(
        data, "staff_student_relationships", "", RELATIONSHIP_RULES, default="not_stated"
    )
    retention = _retention(check, data.get("retention", MISSING))
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


def _modelled_on(check: Checker, raw: Any) -> ModelledOn | None:
    if raw is None:
        return None
    body = check.mapping(raw, "modelled_on")
    if body is None:
        return None
    check.unknown(body, ("publisher", "title"), "modelled_on")
    publisher = check.text(body, "publisher", "modelled_on", max_len=120, gsm=False)
    title = check.text(body, "title", "modelled_on", max_len=200, gsm=False)
    return ModelledOn(publisher, title) if publisher and title else None


def _teams(check: Checker, raw: Any) -> Teams | None:
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


def _informal_contacts(check: Checker, raw: Any) -> tuple[str, ...]:
    if raw is MISSING or raw is None:
        check.problem("informal_contacts", "is required (a list of who people can talk to informally)")
        return ()
    if not isinstance(raw, list):
        check.problem("informal_contacts", f"must be a list (got {kind_of(raw)})")
        return ()
    if not 1 <= len(raw) <= 4:
        check.problem("informal_contacts", f"must list between 1 and 4 contacts (got {len(raw)})")
    out: list[str] = []
    for index, item in enumerate(raw):
        value = check.text_value(item, f"informal_contacts[{index}]", max_len=MAX_PERSON_LIST_ITEM)
        if value is not None:
            out.append(value)
    return tuple(out)


def _contacts(check: Checker, raw: Any, where: str = "contacts") -> Contacts:
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


def _reporting(check: Checker, raw: Any) -> Reporting:
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


def _retention(check: Checker, raw: Any) -> Retention | None:
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


def _day(check: Checker, value: Any, where: str) -> date | None:
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value)
        except ValueError:
            pass
    if isinstance(value, datetime) or not isinstance(value, date):
        check.problem(where, f"must be a date such as 2026-09-21 (got {value!r})")
        return None
    return value


def _nightline(check: Checker, raw: Any) -> Nightline | None:
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


def _terms(check: Checker, raw: Any) -> tuple[Term, ...]:
    if not isinstance(raw, list) or not 1 <= len(raw) <= MAX_TERMS:
        check.problem("nightline.terms", f"must list 1 to {MAX_TERMS} terms, each {{start: 2026-09-21, end: "
                                         f"2026-12-11}} (got {kind_of(raw) if raw is not None else 'nothing'})")
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
