"""Text as it can be stored: whatever a page, a console or a tool sends."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator


def well_formed(text: str) -> str:
    """The text with any lone surrogate (half an emoji: valid in a Python string and in JSON's escapes, not in UTF-8)
    read as U+FFFD; a surrogate pair is already one character, and every other text is returned as it is."""
    if text.isascii():
        return text
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def well_formed_all(value: Any) -> Any:
    """A JSON-like value (dicts, lists, tuples, text) with every text in it, keys too, made well formed."""
    if isinstance(value, str):
        return well_formed(value)
    if isinstance(value, dict):
        return {well_formed_all(key): well_formed_all(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [well_formed_all(item) for item in value]
    return value


# A request field of text that is stored. A lone surrogate in it was refused as not a string, and the refusal itself,
# which echoes the input, could not be sent (a 500, and the words lost); it is read before the field is validated.
StoredText = Annotated[str, BeforeValidator(well_formed_all)]
