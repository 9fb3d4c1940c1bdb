"""The form of a case reference as a student types it, shared by the NLU pipeline and the action server.

The handoff service makes references of three parts from an alphabet with no look-alikes (no O/0, I/1, S/5,
B/8), which also keeps ordinary words out: "K7M-4QX-HT6", typed any way (any case, spaces, dashes or none).
This module needs neither Rasa nor rasa_sdk, so both sides import it without loading the other.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import yaml

ALPHABET = "ACDEFGHJKMNPQRTUVWXY234679"  # as handoff/cases/service.py REFERENCE_ALPHABET
_PART = f"([{ALPHABET}]{{3}})"
_SEPARATOR = "[\\s-]{0,3}"
WHOLE_REFERENCE = re.compile(rf"\b{_PART}{_SEPARATOR}{_PART}{_SEPARATOR}{_PART}\b", re.I)
PART_REFERENCE = re.compile(rf"\b{_PART}{_SEPARATOR}{_PART}\b", re.I)
REFERENCE_WORDS = Path(__file__).resolve().parent.parent / "data" / "reference_words.yml"


@lru_cache(maxsize=1)
def not_a_part() -> frozenset[str]:
    """Words written around a reference that are spelt like one of its parts ("ref", "the", "and"); the service
    never uses them as a part."""
    return frozenset(word.upper() for word in yaml.safe_load(REFERENCE_WORDS.read_text())["not_a_part"])


def find_reference(text: str) -> re.Match[str] | None:
    """The reference in a message: a whole one before the first two parts alone, never one made partly of the
    words around it ("ref kmx 4qt hce"), and one with a digit before letters that only look like one."""
    candidates = [m for pattern in (WHOLE_REFERENCE, PART_REFERENCE) for start in range(len(text))
                  if (m := pattern.match(text, start))]
    candidates = [m for m in candidates if not any(part.upper() in not_a_part() for part in m.groups())]
    if not candidates:
        return None
    return min(candidates, key=lambda m: (-len(m.groups()), not has_digit(m), m.start()))


def has_digit(match: re.Match[str]) -> bool:
    """Whether the typed reference holds a digit (nine in ten do; no ordinary word does)."""
    return any(ch.isdigit() for ch in match.group(0))


def looks_typed_apart(match: re.Match[str]) -> bool:
    """Whether a match is unlike ordinary words: it holds a digit, or every part stands apart. Letters run together
    are usually a word spelt only with the alphabet's letters ("appear", "emergency", "car parked")."""
    return has_digit(match) or all(match.end(k) < match.start(k + 1) for k in range(1, len(match.groups())))


def is_whole(match: re.Match[str]) -> bool:
    """Whether all three parts were sent: the last one is what proves the reference is the student's."""
    return len(match.groups()) == 3


def typed_reference(match: re.Match[str]) -> str:
    """'k7m 4qx ht6' as the student was given it: 'K7M-4QX-HT6' (or 'K7M-4QX' when the last part is missing)."""
    return "-".join(part.upper() for part in match.groups())
