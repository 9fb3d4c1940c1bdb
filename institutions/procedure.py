"""What an institution's own policy says about procedure, each fact with the section that says it.

A fact the policy does not state is absent here, and the assistant then says the policy does not say and who
to ask: it never fills the gap with another policy's rule. ``cite`` is the policy's own section number or
heading ("9.2", "Appeals"), shown to students on the web as "your policy, section 9.2".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

APPEAL_GROUNDS = ("procedure_error", "new_evidence", "disproportionate_outcome", "bias")
# Situations a policy may say the informal route is not for.
INFORMAL_EXCLUSIONS = ("sexual_assault", "staff_student", "repeated", "serious", "risk")
CHOOSERS = ("person_affected", "staff")
MAX_CITE = 40
MAX_SAYS = 230  # one sentence or two, GSM-7: it must fit an SMS with a line on who to ask
# Facts a policy states in its own way, kept as one or two sentences in our own words with their section.
# Each answers a question students ask; absent, the assistant says the policy does not say and who to ask.
STATED = (
    "anonymous",            # what an anonymous report can and cannot lead to
    "notification",         # whether and when the other person is told, and what each side sees
    "outcome_told",         # what the person who complained is told about the outcome
    "false_complaints",     # false or malicious complaints, and a complaint not upheld
    "police_and_internal",  # the police or courts and the institution's own process, its standard of proof
    "records",              # what is recorded, for how long, and data rights
    "visa",                 # international students and their visa
    "training_opt_out",     # mandatory training and trauma
    "workplace",            # harm at an employer or placement, or by a customer or the public
    "scope",                # who may use the procedure, and where it applies
    "partner_university",   # a partner university's own procedure, or a case passed to it
    "staff_relationships",  # what happens when a staff-student relationship breaks the rules
    "act_without_consent",  # when the institution may act without the person's wish
)


@dataclass(frozen=True)
class Appeal:
    """The policy gives the person who complained a way to challenge the outcome."""

    cite: str
    grounds: tuple[str, ...] = ()
    other_party_may_appeal: bool | None = None  # None: the policy does not say
    note: str | None = None  # a limit the policy puts on the route, in our own words


@dataclass(frozen=True)
class Investigation:
    """How the policy says a formal complaint is looked into."""

    cite: str
    independent: bool | None = None  # someone not involved before investigates
    meets_separately: bool | None = None  # each person is met on their own
    may_meet_together: bool | None = None  # mediation or a meeting with the other person can be part of it


@dataclass(frozen=True)
class Informal:
    """What the policy says about sorting things out without a formal complaint."""

    cite: str
    chosen_by: str | None = None  # who chooses the route: the person affected, or staff
    not_for: tuple[str, ...] = ()  # situations the policy says it is not for (absent: none stated)


@dataclass(frozen=True)
class Cited:
    """A fact that is simply stated, with where: counselling offered, the institution referring to the police."""

    cite: str


@dataclass(frozen=True)
class Stated:
    """A fact the policy states, in our own words (``says``), with the section that states it."""

    cite: str
    says: str


@dataclass(frozen=True)
class Procedure:
    appeal: Appeal | None = None
    investigation: Investigation | None = None
    informal: Informal | None = None
    counselling: Cited | None = None
    police_referral: Cited | None = None
    stated: Mapping[str, Stated] = field(default_factory=dict, hash=False)

    def says(self, fact: str) -> Stated | None:
        """A stated fact (one of STATED), or None when the policy does not state it."""
        return self.stated.get(fact)

    def cited(self, fact: str) -> str | None:
        """The section for a stated fact, or None when the policy does not state it."""
        value = self.stated.get(fact) if fact in STATED else getattr(self, fact, None)
        return getattr(value, "cite", None)


class Checker(Protocol):
    """The part of the profile validator this module uses (institutions.checker.Checker)."""

    def problem(self, path: str, message: str) -> None: ...
    def mapping(self, data: Any, path: str, *, required: bool = ...) -> Mapping[str, Any] | None: ...
    def unknown(self, data: Mapping[str, Any], allowed: tuple[str, ...], path: str) -> None: ...
    def text(self, data: Mapping[str, Any], key: str, path: str, *, required: bool = ..., max_len: int = ...,
             gsm: bool = ...) -> str | None: ...
    def choice(self, data: Mapping[str, Any], key: str, path: str, options: tuple[str, ...], *,
               default: str | None = ...) -> str | None: ...


def parse_procedure(check: Checker, raw: Any) -> Procedure:
    """The ``procedure`` block of a profile (absent: the policy states none of these facts)."""
    if raw is None:
        return Procedure()
    body = check.mapping(raw, "procedure")
    if body is None:
        return Procedure()
    check.unknown(body, ("appeal", "investigation", "informal", "counselling", "police_referral", *STATED),
                  "procedure")
    stated = {}
    for fact in STATED:
        value = _stated(check, body.get(fact), f"procedure.{fact}")
        if value is not None:
            stated[fact] = value
    return Procedure(
        stated=stated,
        appeal=_appeal(check, body.get("appeal")),
        investigation=_investigation(check, body.get("investigation")),
        informal=_informal(check, body.get("informal")),
        counselling=_cited(check, body.get("counselling"), "procedure.counselling"),
        police_referral=_cited(check, body.get("police_referral"), "procedure.police_referral"),
    )


def _cite(check: Checker, body: Mapping[str, Any], path: str) -> str:
    return check.text(body, "cite", path, max_len=MAX_CITE) or ""


def _flag(check: Checker, body: Mapping[str, Any], key: str, path: str) -> bool | None:
    value = body.get(key)
    if value is None or isinstance(value, bool):
        return value
    check.problem(f"{path}.{key}", f"must be true or false, or left out when the policy does not say (got {value!r})")
    return None


def _list(check: Checker, body: Mapping[str, Any], key: str, path: str, options: tuple[str, ...]) -> tuple[str, ...]:
    value = body.get(key)
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        check.problem(f"{path}.{key}", f"must be a list of: {', '.join(options)}")
        return ()
    unknown = [item for item in value if item not in options]
    if unknown:
        check.problem(f"{path}.{key}", f"must be some of {', '.join(options)} (got {', '.join(unknown)})")
    return tuple(item for item in value if item in options)


def _body(check: Checker, raw: Any, path: str, fields: tuple[str, ...]) -> Mapping[str, Any] | None:
    """One optional fact's mapping, its unknown fields reported; None when the policy does not state it."""
    body = check.mapping(raw, path, required=False)
    if body is not None:
        check.unknown(body, fields, path)
    return body


def _appeal(check: Checker, raw: Any) -> Appeal | None:
    path = "procedure.appeal"
    body = _body(check, raw, path, ("cite", "grounds", "other_party_may_appeal", "note"))
    if body is None:
        return None
    return Appeal(cite=_cite(check, body, path), grounds=_list(check, body, "grounds", path, APPEAL_GROUNDS),
                  other_party_may_appeal=_flag(check, body, "other_party_may_appeal", path),
                  note=check.text(body, "note", path, required=False, max_len=MAX_SAYS))


def _investigation(check: Checker, raw: Any) -> Investigation | None:
    path = "procedure.investigation"
    flags = ("independent", "meets_separately", "may_meet_together")
    body = _body(check, raw, path, ("cite", *flags))
    if body is None:
        return None
    return Investigation(_cite(check, body, path), *(_flag(check, body, flag, path) for flag in flags))


def _informal(check: Checker, raw: Any) -> Informal | None:
    path = "procedure.informal"
    body = _body(check, raw, path, ("cite", "chosen_by", "not_for"))
    if body is None:
        return None
    chosen_by = check.choice(body, "chosen_by", path, CHOOSERS, default="") or None
    return Informal(cite=_cite(check, body, path), chosen_by=chosen_by,
                    not_for=_list(check, body, "not_for", path, INFORMAL_EXCLUSIONS))


def _cited(check: Checker, raw: Any, path: str) -> Cited | None:
    body = _body(check, raw, path, ("cite",))
    return None if body is None else Cited(cite=_cite(check, body, path))


def _stated(check: Checker, raw: Any, path: str) -> Stated | None:
    body = _body(check, raw, path, ("cite", "says"))
    if body is None:
        return None
    says = check.text(body, "says", path, max_len=MAX_SAYS)
    return Stated(cite=_cite(check, body, path), says=says or "")
