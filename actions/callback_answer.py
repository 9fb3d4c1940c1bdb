"""Reading a call-back answer in the student's own words: how, when, and the number or address to use."""

from __future__ import annotations

import re
from dataclasses import dataclass

import phonenumbers
from email_validator import EmailNotValidError, validate_email

# "call me back" / "a call-back" asks for contact in general; it does not choose a phone call over a text.
_GENERIC = re.compile(r"\b(?:call|ring|phone)(?:ing)?[\s-]*(?:me\s+|us\s+)?back\b|\bcall-?backs?\b", re.I)
_CHANNELS = (
    ("sms", re.compile(r"\b(?:text(?:s|ing)?|txt|sms|message me)\b", re.I)),
    ("email", re.compile(r"\b(?:e-?mail(?:s|ing)?|mail)\b", re.I)),
    ("phone", re.compile(r"\b(?:call(?:s|ing)?|ring(?:s|ing)?|phone(?!\s*(?:number|no\b|num))|voice)\b", re.I)),
)
# Within one clause: "don't ring, text me" rules out the ring, not the text.
_NEGATION = re.compile(r"\b(?:don'?t|do not|not|never|no|rather not|can'?t|cannot)\s+(?:[\w']+\s+){0,2}$", re.I)
_TIME = re.compile(
    r"\b(?:(?:after|before|from|around|about|at|by|until|till|between)\s+\d{1,2}(?:[:.]\d{2})?\s*(?:am|pm)?"
    r"(?:\s*(?:and|to|-)\s*\d{1,2}(?:[:.]\d{2})?\s*(?:am|pm)?)?"
    r"|\d{1,2}(?:[:.]\d{2})?\s*(?:am|pm)\b(?:\s*(?:-|to)\s*\d{1,2}(?:[:.]\d{2})?\s*(?:am|pm))?"
    r"|(?:week)?(?:day|end)s?|mornings?|afternoons?|evenings?|nights?|tonight|today|tomorrow|lunch(?:time)?"
    r"|mon(?:day)?s?|tue(?:s|sday)?s?|wed(?:nesday)?s?|thu(?:rs|rsday)?s?|fri(?:day)?s?|sat(?:urday)?s?"
    r"|sun(?:day)?s?|any ?time|whenever|now|asap|noon|midday|(?:in|during|after|before) (?:college|school|class"
    r"|lessons?|work|uni)|free periods?)\b",
    re.I,
)
_EMAIL_CANDIDATE = re.compile(r"[^\s<>()\[\],;:\"']+@[^\s<>()\[\],;:\"']+")
_YES = re.compile(r"^\W*(?:yes|yeah|yep|yup|y|ok(?:ay)?|sure|fine|safe|that'?s (?:fine|ok|safe)|it'?s (?:fine|ok|safe)"
                  r"|go ahead|please do|that works)\b", re.I)
_NO = re.compile(r"^\W*(?:no|nope|nah|n|not safe|don'?t|do not|please don'?t|never|rather not|private)\b"
                 r"|\bnot safe\b|\bno (?:voicemail|message|messages)\b|\bdon'?t (?:leave|say|mention)\b", re.I)
_STOP = re.compile(r"\b(?:stop|cancel|forget it|never ?mind|changed my mind|no call ?back|don'?t want (?:a|the) "
                   r"call ?back)\b", re.I)
_QUESTION_START = re.compile(
    r"^\W*(?:is|are|can|could|who|what|whats|what's|when|where|why|how|will|would|do|does|did|should|which)\b", re.I)


@dataclass(frozen=True)
class CallbackAnswer:
    """What one message tells us; None where it says nothing about that."""

    channel: str | None = None
    time: str | None = None
    contact: str | None = None


def find_phone(text: str) -> tuple[str, tuple[int, int]] | None:
    """The first valid phone number (UK unless it starts with +), in E.164, and where it was."""
    # POSSIBLE, not VALID: Ofcom's drama ranges (07700 900xxx) and new ranges are still numbers a person has.
    for match in phonenumbers.PhoneNumberMatcher(text, "GB", leniency=phonenumbers.Leniency.POSSIBLE):
        uk_length = match.number.country_code == 44 and len(str(match.number.national_number)) in (9, 10)
        if not (uk_length or phonenumbers.is_valid_number(match.number)):
            continue
        return phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164), (match.start, match.end)
    return None


def find_email(text: str) -> tuple[str, tuple[int, int]] | None:
    """The first well-formed email address (no DNS look-up: nothing may reach the network), normalised."""
    for candidate in _EMAIL_CANDIDATE.finditer(text):
        address = candidate.group(0).rstrip(".!?")
        try:
            valid = validate_email(address, check_deliverability=False)
        except EmailNotValidError:
            continue
        return valid.normalized, (candidate.start(), candidate.start() + len(address))
    return None


def find_channel(text: str) -> str | None:
    """The way of getting in touch the student asks for; one they rule out ("don't ring") does not count."""
    text = _GENERIC.sub(" ", text)
    found: list[tuple[int, str]] = []
    for channel, pattern in _CHANNELS:
        for match in pattern.finditer(text):
            if not _NEGATION.search(text[: match.start()]):
                found.append((match.start(), channel))
    return min(found)[1] if found else None


def find_time(text: str) -> str | None:
    """The stretch of the message that says when ("evenings after 6"), as the student wrote it."""
    matches = list(_TIME.finditer(text))
    if not matches:
        return None
    start, end = matches[0].start(), matches[-1].end()
    if len(matches) > 1 and end - start > 80:
        start, end = matches[0].start(), matches[0].end()
    return " ".join(text[start:end].split())[:200]


def understand(text: str) -> CallbackAnswer:
    """How, when and where, from one free-text message; the contact is left out of the time."""
    text = " ".join((text or "").split())[:500]
    phone, email = find_phone(text), find_email(text)
    rest = text
    for found in (phone, email):
        if found:
            start, end = found[1]
            rest = rest[:start] + " " * (end - start) + rest[end:]
    channel = find_channel(rest)
    contact = email[0] if email else phone[0] if phone else None
    if email and phone and channel in ("phone", "sms"):  # both given: the one their chosen way needs
        contact = phone[0]
    return CallbackAnswer(channel=channel, time=find_time(rest), contact=contact)


def is_phone(contact: str | None) -> bool:
    return bool(contact) and "@" not in str(contact)


def is_email(contact: str | None) -> bool:
    return bool(contact) and "@" in str(contact)


def yes_or_no(text: str, intent: str | None) -> bool | None:
    """A yes or a no to "is it safe to leave a message?", or None if the message says neither."""
    if _NO.search(text or "") or intent == "deny":
        return False
    if _YES.search(text or "") or intent == "affirm":
        return True
    return None


def wants_to_stop(text: str) -> bool:
    return bool(_STOP.search(text or ""))


def looks_like_question(text: str) -> bool:
    text = (text or "").strip()
    return text.endswith("?") or bool(_QUESTION_START.match(text))
