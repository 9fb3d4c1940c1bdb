"""Texts the service sends on its own, read from ``data/service_messages.yml``."""

from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

DATA_DIR = Path(os.environ.get("DATA_DIR", Path(__file__).resolve().parent.parent / "data"))


class ContentError(ValueError):
    """A content file is missing something the service needs."""


@lru_cache
def service_messages() -> dict[str, dict[str, str]]:
    """Every service message, keyed by name, then by channel kind (web, sms)."""
    path = DATA_DIR / "service_messages.yml"
    raw: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(raw, dict):
        raise ContentError(f"{path}: expected a mapping of message names")
    for name, variants in raw.items():
        if not isinstance(variants, dict) or not {"web", "sms"} <= set(variants):
            raise ContentError(f"{path}: message {name!r} needs both a 'web' and an 'sms' text")
    return raw


def service_message(name: str, channel: str, **values: object) -> str:
    """One service message for a channel ('webchat' or 'sms'), with values filled in."""
    kind = "sms" if channel == "sms" else "web"
    return service_messages()[name][kind].format(**values)


@lru_cache
def words_not_in_references() -> frozenset[str]:
    """Words a student may write beside a reference that look like one of its parts ("ref", "the")."""
    path = DATA_DIR / "reference_words.yml"
    raw: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(raw, dict) or not isinstance(raw.get("not_a_part"), list):
        raise ContentError(f"{path}: expected a list 'not_a_part'")
    return frozenset(str(word).upper() for word in raw["not_a_part"])


@lru_cache
def _person_request() -> tuple[frozenset[str], tuple[re.Pattern[str], ...], frozenset[str]]:
    path = DATA_DIR / "person_request.yml"
    raw: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(raw, dict) or not all(isinstance(raw.get(k), list) for k in ("exact", "phrases", "payloads")):
        raise ContentError(f"{path}: expected lists 'exact', 'phrases' and 'payloads'")
    phrases = tuple(re.compile(rf"\b{re.escape(_plain(p))}\b") for p in raw["phrases"])
    return frozenset(_plain(e) for e in raw["exact"]), phrases, frozenset(raw["payloads"])


def _plain(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s']", " ", text.lower().replace("\u2019", "'")).split())


def asks_for_person(text: str, payload: str | None = None) -> bool:
    """True when a message plainly asks for a person (used only while the assistant is down)."""
    exact, phrases, payloads = _person_request()
    if payload and payload.split("{")[0] in payloads:
        return True
    plain = _plain(text)
    return plain in exact or any(phrase.search(plain) for phrase in phrases)


@lru_cache
def _waiting_requests() -> dict[str, tuple[frozenset[str], tuple[re.Pattern[str], ...], frozenset[str]]]:
    path = DATA_DIR / "waiting_requests.yml"
    raw: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(raw, dict):
        raise ContentError(f"{path}: expected a mapping of request names")
    parsed = {}
    for name, words in raw.items():
        if not isinstance(words, dict) or not all(isinstance(words.get(k), list) for k in ("exact", "phrases",
                                                                                            "payloads")):
            raise ContentError(f"{path}: {name!r} needs lists 'exact', 'phrases' and 'payloads'")
        parsed[name] = (frozenset(_plain(e) for e in words["exact"]),
                        tuple(re.compile(rf"\b{re.escape(_plain(p))}\b") for p in words["phrases"]),
                        frozenset(words["payloads"]))
    return parsed


# What our texts ask a waiting student to send to leave the queue (data/service_messages.yml). From a student who is not
# waiting only this, whole, or the button's payload is read as that request: "never mind" is also said in passing.
STOP_WAITING_KEYWORD = "stop waiting"


def asks_to_stop_waiting(text: str, payload: str | None = None) -> bool:
    """The whole message is STOP WAITING, or a "Stop waiting" button's payload came with it."""
    if payload:
        return waiting_request(text, payload) == "stop_waiting"
    return len(text) <= 100 and _plain(text) == STOP_WAITING_KEYWORD


def is_command(text: str) -> bool:
    """The whole message is one of the service's own commands ("STOP WAITING", "callback": an `exact` entry of
    data/waiting_requests.yml), as the SMS messages tell students to reply."""
    if len(text) > 100:
        return False
    plain = _plain(text)
    return any(plain in exact for exact, _, _ in _waiting_requests().values())


def waiting_request(text: str, payload: str | None = None) -> str | None:
    """What a waiting student asks for ('callback', 'stop_waiting', 'services'), if it is one of those."""
    plain = _plain(text)
    for name, (exact, phrases, payloads) in _waiting_requests().items():
        if (payload and payload.split("{")[0] in payloads) or plain in exact or any(p.search(plain) for p in phrases):
            return name
    return None
