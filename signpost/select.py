"""Choose which services to show a person now: open ones first, then what opens later."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from institutions.hours import london, when_text

from .loader import load_directory
from .model import Contact, Directory, Service
from .vocab import CHANNELS, NEEDS, Channel, normalise_nation

# Contact kinds each channel may show, best first. SMS users cannot open web chats from a text.
CHANNEL_KINDS: dict[str, tuple[str, ...]] = {
    "sms": ("text", "phone", "web"),
    "web": ("phone", "chat", "text", "web", "email"),
}
CONTACTS_PER_OPTION = {"sms": 2, "web": 3}

# Hours (London) counted as night, when the result must include a service open 24/7.
NIGHT_FROM, NIGHT_UNTIL = 20, 8

# When a minor has not given an age, assume the ages a college or school assistant serves.
MINOR_AGES = (13, 17)
# With no age at all, hide services only for children and young people (upper limit below this).
YOUTH_ONLY_BELOW = 25

PRIMARY, SECONDARY, FALLBACK = 10, 4, 1

ASK_NATION_NOTE = (
    "We don't know which part of the UK you are in, so these services cover the whole UK. "
    "Tell us if you are in England, Wales, Scotland or Northern Ireland to see local help too."
)
NOTHING_OPEN_NOTE = "None of these services are open right now."


@dataclass(frozen=True)
class ContactView:
    """A contact as shown to the person, with its state at the moment asked."""

    kind: str
    value: str
    href: str
    action: str
    open_now: bool
    always_open: bool
    live: bool
    opens_at: datetime | None
    closes_at: datetime | None
    status: str
    note: str | None


@dataclass(frozen=True)
class Option:
    """One service offered to the person, with the contacts that suit their channel."""

    service_id: str
    name: str
    summary: str
    url: str
    cost: str
    free: bool
    contacts: tuple[ContactView, ...]
    open_now: bool
    always_open: bool
    opens_at: datetime | None
    status: str
    eligibility: str | None
    score: int


@dataclass(frozen=True)
class SignpostResult:
    """What to show: up to three open options, options opening later, write-any-time options, 999."""

    needs: tuple[str, ...]
    nation: str | None
    channel: str
    now: datetime
    open_now: tuple[Option, ...]
    later: tuple[Option, ...]
    anytime: tuple[Option, ...]
    emergency: Option | None
    notes: tuple[str, ...] = field(default=())

    @property
    def ask_nation(self) -> bool:
        """True when the assistant should ask which UK nation the person is in."""
        return self.nation is None

    def options(self) -> tuple[Option, ...]:
        """Every option in the result, in display order (999 last)."""
        extra = (self.emergency,) if self.emergency else ()
        return self.open_now + self.later + self.anytime + extra


def _age_ok(service: Service, age: int | None, needs: frozenset[str]) -> bool:
    top = service.age_max if service.age_max is not None else 200
    if age is not None:
        return service.age_min <= age <= top
    if "under_18" in needs:
        low, high = MINOR_AGES
        return service.age_min <= low and high <= top
    return service.age_max is None or service.age_max >= YOUTH_ONLY_BELOW


def _eligible(service: Service, needs: frozenset[str], nation: str | None, age: int | None) -> bool:
    if nation is None:
        if not service.uk_wide:
            return False
    elif nation not in service.nations:
        return False
    if not _age_ok(service, age, needs):
        return False
    if service.gender and service.gender not in needs:
        return False
    if service.audience == "education_staff":
        return "staff" in needs
    if service.audience == "lgbt":
        return "lgbt" in needs
    if service.audience == "concerned_adults":
        return "under_18" in needs and age is not None and age >= 18
    return True


def _score(service: Service, needs: frozenset[str]) -> int:
    score = PRIMARY * len(needs & service.tags) + SECONDARY * len(needs & service.also_helps)
    if score == 0 and (service.fallback or not needs):
        score = FALLBACK
    return score


def _eligibility_text(service: Service, age: int | None) -> str | None:
    parts = []
    if age is None:
        if service.age_min and service.age_max is not None:
            parts.append(f"For ages {service.age_min} to {service.age_max}.")
        elif service.age_min:
            parts.append(f"For ages {service.age_min} and over.")
        elif service.age_max is not None:
            parts.append(f"For people under {service.age_max + 1}.")
    if service.audience == "education_staff":
        parts.append("For people who work in education.")
    if service.gender == "men":
        parts.append("For men.")
    return " ".join(parts) or None


def _action(contact: Contact) -> str:
    if contact.label and contact.kind in ("web", "chat"):
        return f"{contact.label}: {contact.value}"
    if contact.label:
        return contact.label
    return {
        "phone": f"Call {contact.value}",
        "text": f"Text {contact.keyword} to {contact.value}" if contact.keyword else f"Text {contact.value}",
        "chat": f"Chat online: {contact.value}",
        "email": f"Email {contact.value}",
        "web": f"Website: {contact.value}",
    }[contact.kind]


def _view(service: Service, contact: Contact, local: datetime) -> ContactView:
    opens_at = service.next_open(contact, local)
    open_now = contact.live and service.is_open(contact, local)
    closes_at = service.closes_at(contact, local) if open_now else None
    if not contact.live:
        status = "any time"
    elif contact.always_open:
        status = "open 24/7"
    elif open_now and closes_at is not None:
        clock = closes_at.strftime("%H:%M")
        if (closes_at.date() - local.date()).days > 1:  # open all weekend: say which day it closes
            clock = when_text(closes_at, local)
        status = f"open now until {'midnight' if clock == '00:00' else clock}"
    elif opens_at is not None:
        status = f"opens {when_text(opens_at, local)}"
    else:
        status = "closed"
    return ContactView(
        kind=contact.kind,
        value=contact.value,
        href=contact.href,
        action=_action(contact),
        open_now=open_now,
        always_open=contact.always_open,
        live=contact.live,
        opens_at=None if open_now else opens_at,
        closes_at=closes_at,
        status=status,
        note=contact.note,
    )


def _pick_contacts(views: list[ContactView], kinds: tuple[str, ...], limit: int) -> tuple[ContactView, ...]:
    """Open contacts first, then any-time ones, then the soonest to open; never a mix that confuses."""
    ordered = sorted(views, key=lambda v: kinds.index(v.kind))
    open_live = [v for v in ordered if v.open_now]
    anytime = [v for v in ordered if not v.live]
    if open_live:
        return tuple((open_live + anytime)[:limit])
    later = [v for v in ordered if v.opens_at is not None]
    if later:
        first = min(v.opens_at for v in later if v.opens_at is not None)
        return tuple(([v for v in later if v.opens_at == first] + anytime)[:limit])
    return tuple(anytime[:limit])


def _option(service: Service, score: int, channel: str, local: datetime, age: int | None) -> Option | None:
    # For 999 a call always comes before a text: texting only works for registered phones.
    kinds = ("phone", "text") if service.emergency else CHANNEL_KINDS[channel]
    views = [_view(service, c, local) for c in service.contacts if c.verified and c.kind in kinds]
    contacts = _pick_contacts(views, kinds, CONTACTS_PER_OPTION[channel])
    if not contacts:
        return None
    open_now = any(v.open_now for v in contacts)
    opens = [v.opens_at for v in contacts if v.opens_at is not None]
    opens_at = None if open_now or not opens else min(opens)
    return Option(
        service_id=service.id,
        name=service.name,
        summary=service.summary,
        url=service.url,
        cost=service.cost,
        free=service.free,
        contacts=contacts,
        open_now=open_now,
        always_open=any(v.always_open for v in contacts),
        opens_at=opens_at,
        status=next((v.status for v in contacts if v.open_now), None)
        or (f"opens {when_text(opens_at, local)}" if opens_at else "any time"),
        eligibility=_eligibility_text(service, age),
        score=score,
    )


def _check_needs(needs: Iterable[str]) -> tuple[str, ...]:
    if isinstance(needs, str):
        needs = [needs]
    cleaned = tuple(dict.fromkeys(n.strip().lower() for n in needs))
    unknown = [n for n in cleaned if n not in NEEDS]
    if unknown:
        raise ValueError(f"unknown need(s) {unknown}; use any of {', '.join(NEEDS)}")
    return cleaned


def signpost(
    needs: Sequence[str],
    nation: str | None = None,
    channel: Channel = "web",
    now: datetime | None = None,
    age: int | None = None,
    directory: Directory | None = None,
    *,
    max_open: int = 3,
    max_later: int = 3,
    max_anytime: int = 2,
) -> SignpostResult:
    """Pick the services to show for these needs, nation, channel and moment (Europe/London)."""
    wanted = _check_needs(needs)
    need_set = frozenset(wanted)
    nation = normalise_nation(nation)
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel!r}; use 'web' or 'sms'")
    if age is not None and (isinstance(age, bool) or not 0 <= age <= 120):
        raise ValueError(f"age {age!r} is not a plausible age")
    local = london(now)
    directory = directory or load_directory()
    # A young person who gave their age should see services for young people first.
    scoring_needs = need_set | {"under_18"} if age is not None and age < 18 else need_set

    emergency: Option | None = None
    ranked: list[tuple[Option, int]] = []
    for service in directory.services:
        if service.emergency:
            if emergency is None and (nation is None or nation in service.nations):
                emergency = _option(service, 0, channel, local, age)
            continue
        if not _eligible(service, need_set, nation, age):
            continue
        score = _score(service, scoring_needs)
        if score <= 0:
            continue
        option = _option(service, score, channel, local, age)
        if option is not None:
            ranked.append((option, service.weight))

    def order(item: tuple[Option, int]) -> tuple:
        option, weight = item
        return (-option.score, -weight, not option.always_open, option.name)

    ranked.sort(key=order)
    open_now = [o for o, _ in ranked if o.open_now][:max_open]
    if _is_night(local) and open_now and not any(o.always_open for o in open_now):
        # At night an evening line may close within minutes; always leave one that stays open.
        round_the_clock = next((o for o, _ in ranked if o.open_now and o.always_open), None)
        if round_the_clock is not None:
            keep = open_now if len(open_now) < max_open else open_now[: max_open - 1]
            open_now = [*keep, round_the_clock]
    later = sorted(
        (o for o, _ in ranked if not o.open_now and o.opens_at is not None and o.score > FALLBACK),
        key=lambda o: (-o.score, o.opens_at),
    )[:max_later]
    # Email and web forms: useful, but never presented as someone answering now.
    anytime = [o for o, _ in ranked if not o.open_now and o.opens_at is None and o.score > FALLBACK][:max_anytime]

    notes = []
    if nation is None:
        notes.append(ASK_NATION_NOTE)
    if not open_now:
        notes.append(NOTHING_OPEN_NOTE)
    return SignpostResult(
        needs=wanted,
        nation=nation,
        channel=channel,
        now=local,
        open_now=tuple(open_now),
        later=tuple(later),
        anytime=tuple(anytime),
        emergency=emergency,
        notes=tuple(notes),
    )


def _is_night(local: datetime) -> bool:
    return local.hour >= NIGHT_FROM or local.hour < NIGHT_UNTIL
