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


# Contractions written the way some keyboards and text tools split them: each must read as words, never crash.
SPLIT_CONTRACTIONS = [
    ("i ca n't go on", ["i", "can", "not", "go", "on"]),
    ("do n't", ["do", "not"]),
    ("can-n't", ["can", "not"]),
    ("i wo n't be here", ["i", "will", "not", "be", "here"]),
    ("n't", ["not"]),
    ("'", []),
    ("''", []),
    ("n't n't n't", ["not", "not", "not"]),
    ("I ca n\u2019t", ["i", "can", "not"]),
    ("it 's", ["it", "is"]),
    ("i 'll", ["i", "will"]),
    ("'s", []),
    ("'ll 've 're 'd 'm", ["will", "have", "are", "would", "am"]),
]


@pytest.mark.parametrize(("text", "words"), SPLIT_CONTRACTIONS)
def test_split_contractions_read_as_words(text: str, words: list[str]) -> None:
    assert get_classifier()._set.normaliser.words(text) == words


def test_a_crisis_message_with_a_split_contraction_is_still_caught() -> None:
    assessment = get_classifier().classify("i ca n't take it any more, i want to kill myself tonight")
    assert assessment.labels == {"suicide_self_harm"}
