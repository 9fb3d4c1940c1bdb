"""Redaction of contact details and names for logs and statistics."""

from __future__ import annotations

import pytest

from safety.redact import redact


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("email me at jo.bloggs+x@uni.ac.uk please", "email me at [email] please"),
        ("my number is 07700 900123", "my number is [phone]"),
        ("07700-900-123", "[phone]"),
        ("07700900123", "[phone]"),
        ("call +44 7700 900 123", "call [phone]"),
        ("or +44 (0)20 7946 0958", "or [phone]"),
        ("ring 0113 496 0000 now", "ring [phone] now"),
        ("+1 415 555 2671", "[phone]"),
        ("I live at LS1 4AP", "I live at [postcode]"),
        ("postcode m1 1ae", "postcode [postcode]"),
        ("SW1A1AA", "[postcode]"),
        ("see https://example.com/a?b=1 and www.foo.org", "see [url] and [url]"),
        ("search nhs.uk", "search [url]"),
        ("my name is Sarah Jones and I need help", "my name is [name] and I need help"),
        ("my name is sarah and i need help", "my name is [name] and i need help"),
        ("I'm called Priya", "I'm called [name]"),
        ("im called sam", "im called [name]"),
        ("This is Sam from halls", "This is [name] from halls"),
    ],
)
def test_redacts(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "this is so hard",
        "im called names every day",
        "call me back later",
        "I was 15 in 2019",
        "I took 20 paracetamol at 9.30",
        "I'm in year 10",
        "call 999 or 116 123",
    ],
)
def test_leaves_ordinary_text(text: str) -> None:
    assert redact(text) == text


def test_everything_at_once() -> None:
    text = "Hi, this is Alex Smith, 07700 900123, alex@example.com, B33 8TH"
    assert redact(text) == "Hi, this is [name], [phone], [email], [postcode]"
