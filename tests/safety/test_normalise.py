"""SMS spellings and contractions become the canonical words the patterns use."""

from __future__ import annotations

import pytest

from safety.risk import get_classifier


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("im ok", ["i", "am", "ok"]),
        ("I'm OK", ["i", "am", "ok"]),
        ("I\u2019m ok", ["i", "am", "ok"]),
        ("dont", ["do", "not"]),
        ("didn't", ["did", "not"]),
        ("can't", ["can", "not"]),
        ("wont", ["will", "not"]),
        ("kms", ["kill", "myself"]),
        ("wanna die", ["want", "to", "die"]),
        ("gonna", ["going", "to"]),
        ("u ok rn?", ["you", "ok", "right", "now", "?"]),
        ("he's here", ["he", "is", "here"]),
        ("my friend's house", ["my", "friend", "house"]),
        ("self-harm", ["self", "harm"]),
        ("15yo", ["15", "yo"]),
        ("yr11", ["year", "11"]),
        ("fifteen", ["15"]),
        ("my self", ["myself"]),
        ("line one\nline two", ["line", "one", ".", "line", "two"]),
    ],
)
def test_words(text: str, words: list[str]) -> None:
    assert get_classifier()._set.normaliser.words(text) == words
