"""Shapes of UK numbers the directory accepts, and the links that dial or text them."""

from __future__ import annotations

import re

# Three-digit lines that work from any UK phone.
_SERVICE_NUMBERS = frozenset({"999", "101", "111"})

# Freephone numbers shorter than the usual 0800 length. Childline's is the well-known one.
_SHORT_FREEPHONE = frozenset({"08001111"})

# Prefix -> allowed total digit counts, checked longest prefix first.
_LENGTHS: tuple[tuple[str, tuple[int, ...]], ...] = (
    ("0800", (10, 11)),
    ("0808", (11,)),
    ("03", (11,)),
    ("01", (10, 11)),
    ("02", (11,)),
    ("07", (11,)),
)


def digits(value: str) -> str:
    """The number without spaces."""
    return re.sub(r"\s+", "", value)


def phone_problem(value: str) -> str | None:
    """Why `value` is not a callable UK number in an accepted shape, or None when it is fine."""
    if not re.fullmatch(r"[0-9 ]+", value or ""):
        return "use only digits and spaces"
    number = digits(value)
    if number in _SERVICE_NUMBERS or number in _SHORT_FREEPHONE:
        return None
    if re.fullmatch(r"116\d{3}", number):
        return None
    for prefix, lengths in _LENGTHS:
        if number.startswith(prefix):
            if len(number) in lengths:
                return None
            wanted = " or ".join(str(n) for n in lengths)
            return f"a {prefix} number has {wanted} digits, this one has {len(number)}"
    return "not an accepted shape (999, 101, 111, 116 xxx, 0800, 0808, 03, 01, 02 or 07)"


def text_problem(value: str) -> str | None:
    """Why `value` is not a number you can text, or None when it is fine."""
    if not re.fullmatch(r"[0-9 ]+", value or ""):
        return "use only digits and spaces"
    number = digits(value)
    # 999 takes texts from registered phones (emergencySMS).
    if number == "999" or re.fullmatch(r"\d{5,6}", number):
        return None
    if number.startswith("07") and len(number) == 11:
        return None
    return "a text number is 999, a 5 or 6 digit short code, or an 11 digit 07 mobile number"
