"""Redact contact details and names from text before it reaches logs or statistics."""

from __future__ import annotations

import re

# Order matters: URLs and emails first (they contain dots and digits the later patterns could split).
_URL = re.compile(
    r"\b(?:https?://|www\.)[^\s<>\"']+"
    r"|\b(?:[a-z0-9-]+\.)+(?:com|org|net|info|io|me|co|uk|ac\.uk|co\.uk|org\.uk|gov\.uk|nhs\.uk)\b(?:/[^\s<>\"']*)?",
    re.IGNORECASE,
)
_EMAIL = re.compile(r"\b[\w.%+-]+@[\w-]+(?:\.[\w-]+)+\b")
# International (+44 ..., 0044 ...) or UK national (07..., 01..., 02..., 03..., 08...), with spaces,
# dashes, dots or brackets between digit groups.
_PHONE = re.compile(
    r"(?<![\w+])(?:\+|00)\d{1,3}[\s.-]?(?:\(0\)[\s.-]?)?\d(?:[\s.()-]{0,2}\d){6,12}\b"
    r"|(?<![\w+])\(?0\d{2,4}\)?(?:[\s.-]{0,2}\d){6,8}\b"
)
_POSTCODE = re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b", re.IGNORECASE)
# Words that follow "this is" or "I'm called" but are not names.
_NOT_NAMES = {
    "a",
    "an",
    "the",
    "my",
    "so",
    "not",
    "very",
    "really",
    "about",
    "it",
    "that",
    "this",
    "what",
    "how",
    "i",
    "im",
    "and",
    "but",
    "names",
    "things",
    "out",
    "in",
    "on",
    "at",
    "by",
    "every",
    "all",
    "just",
    "too",
    "from",
    "here",
    "hard",
    "awful",
    "me",
    "you",
    "him",
    "her",
    "them",
    "back",
    "later",
    "when",
    "if",
    "now",
    "please",
    "tomorrow",
    "today",
    "tonight",
    "asap",
}
_NAME_WORD = r"[^\W\d_][\w'’-]*"
_NAMED = re.compile(
    rf"\b(my name is|my name['’]s|i['’]?m called|i am called|call me|this is)(\s+)"
    rf"({_NAME_WORD}(?:\s+{_NAME_WORD}){{0,2}})",
    re.IGNORECASE,
)


def _name(match: re.Match[str]) -> str:
    intro, space, words = match.group(1), match.group(2), match.group(3).split()
    first = words[0]
    # "this is" introduces a name only when it is capitalised: "this is Sam", not "this is hard".
    if first.lower() in _NOT_NAMES or (intro.lower() == "this is" and not first[0].isupper()):
        return match.group(0)
    kept = [first]
    if first[0].isupper():  # "Sarah Jones"; in lower-case text take one word: "sarah and ..."
        for word in words[1:]:
            if not word[0].isupper() or word.lower() in _NOT_NAMES:
                break
            kept.append(word)
    rest = match.group(3)[len(" ".join(kept)) :]
    return f"{intro}{space}[name]{rest}"


def redact(text: str) -> str:
    """Replace emails, URLs, phone numbers, UK postcodes and self-introduced names with placeholders."""
    text = _EMAIL.sub("[email]", text)
    text = _URL.sub("[url]", text)
    text = _PHONE.sub("[phone]", text)
    text = _POSTCODE.sub("[postcode]", text)
    return _NAMED.sub(_name, text)
