"""GSM-7 text rules for SMS: what fits one message budget, and how to make text fit.

The one place the alphabet lives: the assistant's actions, the safety responses, the handoff service and the
signposting all import it, and the officers' console gets it from the page (``browser_rules``).
"""

from __future__ import annotations

import itertools
import re

SMS_BUDGET = 320

# The basic table (one septet each) and the extension table (an escape and a septet: two each).
GSM7_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED = "^{}\\[~]|€\f"
_BASIC = frozenset(GSM7_BASIC)
_EXTENDED = frozenset(GSM7_EXTENDED)

_REPLACEMENTS = {
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"',
    "\u2013": "-", "\u2014": "-", "\u2012": "-", "\u2212": "-",
    "\u2026": "...", "\u00a0": " ", "\u2022": "-", "\u00b7": "-",
    "\u2192": "->", "\t": " ",
}


def browser_rules() -> dict[str, str | int]:
    """The rules a page's script needs to count an SMS as it is typed (rendered as JSON into the page).

    ``replaced`` lists the characters that ``to_gsm7`` swaps for plain ones rather than drops.
    """
    return {"budget": SMS_BUDGET, "basic": GSM7_BASIC, "extended": GSM7_EXTENDED, "replaced": "".join(_REPLACEMENTS)}


def is_gsm7(text: str) -> bool:
    """True when every character can be sent in the GSM-7 alphabet."""
    return all(ch in _BASIC or ch in _EXTENDED for ch in text)


def _septets(ch: str) -> int:
    return 2 if ch in _EXTENDED else 1  # the extension table's characters take an escape first


def gsm7_length(text: str) -> int:
    """Septets the text needs: characters from the extension table count twice."""
    return sum(map(_septets, text))


def fits_sms(text: str, budget: int = SMS_BUDGET) -> bool:
    """True when the text is pure GSM-7 and within the budget."""
    return is_gsm7(text) and gsm7_length(text) <= budget


def to_gsm7(text: str) -> str:
    """Replace typographic characters with GSM-7 ones and drop anything else (such as emoji)."""
    out = []
    for ch in text:
        ch = _REPLACEMENTS.get(ch, ch)
        out.append("".join(c for c in ch if c in _BASIC or c in _EXTENDED))
    return re.sub(r"[ ]{2,}", " ", "".join(out)).strip()


def _longest_within(text: str, budget: int) -> int:
    """How many of the text's first characters fit in the budget (at least one, so that a split always moves on)."""
    for index, used in enumerate(itertools.accumulate(map(_septets, text))):
        if used > budget:
            return max(index, 1)
    return len(text)


def split_sms(text: str, budget: int = SMS_BUDGET) -> list[str]:
    """Split text into GSM-7 messages within the budget, at sentence boundaries where possible."""
    text = to_gsm7(text)
    if gsm7_length(text) <= budget:
        return [text] if text else []
    pieces = re.split(r"(?<=[.!?])\s+|\n+", text)
    parts: list[str] = []
    current = ""
    for piece in filter(None, (p.strip() for p in pieces)):
        while gsm7_length(piece) > budget:
            fits = _longest_within(piece, budget)  # characters, not units: an extended one counts twice
            cut = piece.rfind(" ", 0, fits + 1)
            cut = cut if cut > 0 else fits
            if current:
                parts.append(current)
                current = ""
            parts.append(piece[:cut].strip())
            piece = piece[cut:].strip()
        candidate = f"{current} {piece}".strip() if current else piece
        if gsm7_length(candidate) <= budget:
            current = candidate
        else:
            parts.append(current)
            current = piece
    if current:
        parts.append(current)
    return parts
