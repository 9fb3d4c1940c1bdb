"""One way to ask for a person, worded the same everywhere: the button and "talk to a person" on the web,
PERSON by SMS. Every text the service, the safety responses and the assistant send is read from its file."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[3]
# Ways of telling a student how to reach a person that are not the one way.
OTHER_WAYS = re.compile(r"just (?:reply and )?say so|\bask for a person again\b|\bPERSON (?:for|to ask)\b|"
                        r"say talk to a person and|\bask for a welfare officer\b", re.I)


def _texts(node, channel: str | None = None) -> Iterator[tuple[str, str]]:
    """(channel, text) for every text in a response file: 'sms' / 'web' where the file says which."""
    if isinstance(node, dict):
        here = node.get("channel", channel)
        for key, value in node.items():
            yield from _texts(value, key if key in ("sms", "web") else here)
    elif isinstance(node, list):
        for value in node:
            yield from _texts(value, channel)
    elif isinstance(node, str) and channel in ("sms", "web", None) and len(node) > 40:
        yield channel or "web", node


def _all_texts() -> list[tuple[str, str, str]]:
    files = [ROOT / "data" / "service_messages.yml", ROOT / "data" / "safety" / "responses.yml",
             *sorted((ROOT / "bot" / "domain").glob("*.yml"))]
    return [(path.name, channel, text) for path in files
            for channel, text in _texts(yaml.safe_load(path.read_text(encoding="utf-8")))]


def test_every_text_words_asking_for_a_person_the_one_way():
    texts = _all_texts()
    assert len(texts) > 100
    other = [(name, text) for name, _, text in texts if OTHER_WAYS.search(text)]
    assert other == []


def test_sms_texts_say_reply_person_and_web_texts_never_do():
    texts = _all_texts()
    sms_keyword = [text for _, channel, text in texts if channel == "sms" and "PERSON" in text]
    assert len(sms_keyword) >= 8
    assert all(re.search(r"\b[Rr]eply PERSON\b", text) for text in sms_keyword)
    assert not [text for _, channel, text in texts if channel == "web" and "PERSON" in text]
