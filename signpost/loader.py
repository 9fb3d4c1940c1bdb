"""Read data/services.yml into a Directory, reporting every problem by entry and field."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from institutions.hours import HoursError, Schedule

from .model import Contact, Directory, Service
from .phones import phone_problem, text_problem
from .vocab import AUDIENCES, BANK_HOLIDAY_RULES, GENDERS, KINDS, LIVE_KINDS, NATIONS, TAGS

DEFAULT_PATH = Path(__file__).resolve().parent.parent / "data" / "services.yml"
ENV_PATH = "SIGNPOST_SERVICES"

_SERVICE_FIELDS = frozenset(
    "id name summary tags also_helps fallback emergency nations age_min age_max gender audience "
    "based_in contacts cost free url source verified_on weight".split()
)
_CONTACT_FIELDS = frozenset(
    "kind value verified label keyword hours bank_holidays note source verified_on unverified_reason".split()
)
_ID = re.compile(r"[a-z][a-z0-9_]*")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[a-z]{2,}")
_URL = re.compile(r"https://[^\s/]+\.[^\s]+")
# Sources may be old pages that were only ever served over plain http.
_SOURCE_URL = re.compile(r"https?://[^\s/]+\.[^\s]+")


@dataclass(frozen=True)
class Issue:
    """One problem: which entry, which field, what is wrong."""

    entry: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.entry}: {self.field}: {self.message}"


class DirectoryError(ValueError):
    """The directory file cannot be used; `issues` lists every problem found."""

    def __init__(self, issues: list[Issue], path: Path | None = None) -> None:
        self.issues = issues
        self.path = path
        where = f" in {path}" if path else ""
        lines = "\n".join(f"  - {issue}" for issue in issues)
        super().__init__(f"{len(issues)} problem(s){where}:\n{lines}")


class _Reader:
    """Pulls typed fields out of one mapping and notes problems instead of stopping at the first."""

    def __init__(self, raw: Any, entry: str, issues: list[Issue], prefix: str = "") -> None:
        self.raw = raw if isinstance(raw, dict) else {}
        self.entry = entry
        self.issues = issues
        self.prefix = prefix
        if not isinstance(raw, dict):
            self.problem("", "must be a mapping of field: value")

    def problem(self, name: str, message: str) -> None:
        self.issues.append(Issue(self.entry, f"{self.prefix}{name}" or "(entry)", message))

    def only(self, known: frozenset[str]) -> None:
        """Report fields the schema does not know, which are usually typos."""
        for name in sorted(set(self.raw) - known, key=str):
            self.problem(str(name), f"unknown field; known fields: {', '.join(sorted(known))}")

    def has(self, name: str) -> bool:
        return self.raw.get(name) is not None

    def text(self, name: str, *, required: bool = True, default: str | None = None) -> str | None:
        value = self.raw.get(name)
        if value is None:
            if required:
                self.problem(name, "is missing")
            return default
        if not isinstance(value, str) or not value.strip():
            self.problem(name, "must be non-empty text (put numbers in quotes)")
            return default
        return value.strip()

    def flag(self, name: str, *, required: bool = False, default: bool = False) -> bool:
        value = self.raw.get(name)
        if value is None:
            if required:
                self.problem(name, "is missing (true or false)")
            return default
        if not isinstance(value, bool):
            self.problem(name, "must be true or false")
            return default
        return value

    def integer(self, name: str, default: int | None = None) -> int | None:
        value = self.raw.get(name)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int) or value < -10 or value > 120:
            self.problem(name, "must be a whole number from -10 to 120")
            return default
        return value

    def day(self, name: str, *, required: bool = True) -> date | None:
        value = self.raw.get(name)
        if value is None:
            if required:
                self.problem(name, "is missing (a date like 2026-11-22)")
            return None
        if isinstance(value, str):
            try:
                value = date.fromisoformat(value)
            except ValueError:
                pass
        if not isinstance(value, date):
            self.problem(name, f"{value!r} is not a date like 2026-11-22")
            return None
        return value

    def url(self, name: str, *, required: bool = True, source: bool = False) -> str | None:
        value = self.text(name, required=required)
        if value is not None and not (_SOURCE_URL if source else _URL).fullmatch(value):
            self.problem(name, f"{value!r} is not an {'http(s)' if source else 'https'}:// address")
            return None
        return value

    def words(self, name: str, allowed: tuple[str, ...], *, required: bool = True) -> frozenset[str]:
        value = self.raw.get(name)
        if value is None:
            if required:
                self.problem(name, "is missing")
            return frozenset()
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            self.problem(name, "must be a list of words")
            return frozenset()
        unknown = [item for item in value if item not in allowed]
        if unknown:
            self.problem(name, f"unknown {', '.join(map(repr, unknown))}; allowed: {', '.join(allowed)}")
        return frozenset(item for item in value if item in allowed)

    def choice(self, name: str, allowed: tuple[str, ...], default: str | None) -> str | None:
        value = self.raw.get(name)
        if value is None:
            return default
        if value not in allowed:
            self.problem(name, f"{value!r} is not one of {', '.join(allowed)}")
            return default
        return value


def _read_contact(raw: Any, entry: str, index: int, issues: list[Issue]) -> Contact | None:
    reader = _Reader(raw, entry, issues, prefix=f"contacts[{index}].")
    start = len(issues)
    reader.only(_CONTACT_FIELDS)
    kind = reader.choice("kind", KINDS, None)
    if not reader.has("kind"):
        reader.problem("kind", f"is missing (one of {', '.join(KINDS)})")
    value = reader.text("value")
    verified = reader.flag("verified", required=True)
    if kind and value:
        problem = {
            "phone": phone_problem,
            "text": text_problem,
            "email": lambda v: None if _EMAIL.fullmatch(v) else "is not an email address",
            "chat": lambda v: None if _URL.fullmatch(v) else "is not an https:// address",
            "web": lambda v: None if _URL.fullmatch(v) else "is not an https:// address",
        }[kind](value)
        if problem:
            reader.problem("value", f"{value!r}: {problem}")
    keyword = reader.text("keyword", required=False)
    if keyword and kind != "text":
        reader.problem("keyword", "only text contacts have a keyword")

    schedule: Schedule | None = None
    hours: tuple[str, ...] = ()
    raw_hours = reader.raw.get("hours")
    if raw_hours is None:
        # A verified live contact must say when it is open, or we cannot say if it is open now.
        if kind in LIVE_KINDS and verified:
            reader.problem("hours", "is missing; a verified phone, text or chat contact needs its hours")
    else:
        hours = (raw_hours,) if isinstance(raw_hours, str) else tuple(str(h) for h in raw_hours or ())
        try:
            schedule = Schedule.parse(hours)
        except HoursError as exc:
            reader.problem("hours", str(exc))
    bank_holidays = reader.choice("bank_holidays", BANK_HOLIDAY_RULES, None)
    if schedule is not None and not schedule.always and bank_holidays is None:
        reader.problem("bank_holidays", "is missing; say open, closed or unknown when hours are not 24/7")

    source = reader.url("source", required=False, source=True)
    verified_on = reader.day("verified_on", required=False)
    reason = reader.text("unverified_reason", required=False)
    label = reader.text("label", required=False)
    note = reader.text("note", required=False)
    if not verified and not reason:
        reader.problem("unverified_reason", "say why this contact is not verified")
    if len(issues) > start or kind is None or value is None:
        return None
    return Contact(
        kind=kind,
        value=value,
        verified=verified,
        label=label,
        keyword=keyword,
        schedule=schedule,
        hours=hours,
        bank_holidays=bank_holidays or "open",
        note=note,
        source=source,
        verified_on=verified_on,
        unverified_reason=reason,
    )


def _read_service(raw: Any, index: int, issues: list[Issue]) -> Service | None:
    label = raw.get("id") if isinstance(raw, dict) and isinstance(raw.get("id"), str) else "?"
    entry = f"services[{index}] ({label})"
    reader = _Reader(raw, entry, issues)
    start = len(issues)
    reader.only(_SERVICE_FIELDS)
    service_id = reader.text("id")
    if service_id and not _ID.fullmatch(service_id):
        reader.problem("id", f"{service_id!r} must be lower_case_with_underscores")
    nations_raw = reader.raw.get("nations")
    nations = frozenset(NATIONS) if nations_raw == "uk" else reader.words("nations", NATIONS)
    tags = reader.words("tags", TAGS)
    if not tags and reader.has("tags"):
        reader.problem("tags", "needs at least one tag")
    age_min = reader.integer("age_min", 0)
    age_max = reader.integer("age_max", None)
    if age_min is not None and age_max is not None and age_max < age_min:
        reader.problem("age_max", "is below age_min")
    based_in = reader.choice("based_in", NATIONS, None)
    if based_in is None:
        if len(nations) == 1:
            based_in = next(iter(nations))
        elif nations:
            reader.problem("based_in", "is missing; say which nation's bank holidays the service follows")

    contacts_raw = reader.raw.get("contacts")
    contacts: list[Contact] = []
    if not isinstance(contacts_raw, list) or not contacts_raw:
        reader.problem("contacts", "needs at least one contact")
    else:
        for position, item in enumerate(contacts_raw):
            contact = _read_contact(item, entry, position, issues)
            if contact is not None:
                contacts.append(contact)

    name = reader.text("name")
    summary = reader.text("summary")
    url = reader.url("url")
    source = reader.url("source", source=True)
    verified_on = reader.day("verified_on")
    cost = reader.text("cost")
    free = reader.flag("free", required=True)
    also_helps = reader.words("also_helps", TAGS, required=False)
    gender = reader.choice("gender", GENDERS, None)
    audience = reader.choice("audience", AUDIENCES, "everyone") or "everyone"
    fallback = reader.flag("fallback")
    emergency = reader.flag("emergency")
    weight = reader.integer("weight", 0) or 0
    if len(issues) > start or not (service_id and name and summary and url and source and verified_on and cost):
        return None
    return Service(
        id=service_id,
        name=name,
        summary=summary,
        tags=tags,
        nations=nations,
        contacts=tuple(contacts),
        url=url,
        source=source,
        verified_on=verified_on,
        cost=cost,
        free=free,
        also_helps=also_helps,
        age_min=age_min or 0,
        age_max=age_max,
        gender=gender,
        audience=audience,
        based_in=based_in or "england",
        weight=weight,
        fallback=fallback,
        emergency=emergency,
    )


def parse_directory(data: Any, path: Path | None = None) -> tuple[Directory | None, list[Issue]]:
    """Build a Directory from parsed YAML; returns it (None when unusable) and every issue found."""
    issues: list[Issue] = []
    if not isinstance(data, dict) or not isinstance(data.get("services"), list):
        return None, [Issue("(file)", "services", "the file needs a top-level 'services:' list")]
    services: list[Service] = []
    seen: dict[str, int] = {}
    for index, raw in enumerate(data["services"]):
        service = _read_service(raw, index, issues)
        raw_id = raw.get("id") if isinstance(raw, dict) else None
        if isinstance(raw_id, str):
            if raw_id in seen:
                issues.append(Issue(f"services[{index}] ({raw_id})", "id", f"duplicate of services[{seen[raw_id]}]"))
            else:
                seen[raw_id] = index
        if service is not None:
            services.append(service)
    excluded = data.get("excluded") or []
    if not isinstance(excluded, list) or not all(isinstance(item, dict) for item in excluded):
        issues.append(Issue("(file)", "excluded", "must be a list of {name, reason, checked_on}"))
        excluded = []
    directory = Directory(services=tuple(services), excluded=tuple(excluded), path=path)
    return (None if issues else directory), issues


def read_yaml(path: Path) -> Any:
    """The file's YAML content, with a clear error when it is not valid YAML."""
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise DirectoryError([Issue("(file)", "yaml", str(exc).replace("\n", " "))], path) from exc


def resolve_path(path: str | os.PathLike[str] | None = None) -> Path:
    """The directory file to use: the argument, else $SIGNPOST_SERVICES, else data/services.yml."""
    return Path(path or os.environ.get(ENV_PATH) or DEFAULT_PATH)


@lru_cache(maxsize=8)
def _load_cached(path: Path, mtime_ns: int) -> Directory:
    directory, issues = parse_directory(read_yaml(path), path)
    if directory is None:
        raise DirectoryError(issues, path)
    return directory


def load_directory(path: str | os.PathLike[str] | None = None) -> Directory:
    """Load and validate the directory; raises DirectoryError listing every problem."""
    resolved = resolve_path(path)
    # Keyed on the file's modification time so an edited file is re-read without a restart.
    return _load_cached(resolved, resolved.stat().st_mtime_ns)
