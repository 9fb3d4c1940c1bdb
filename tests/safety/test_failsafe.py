"""The safety check never fails open: no text breaks it, and if it breaks anyway the message is flagged."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from safety.responses import CHECK_FAILED, safety_response
from safety.risk import get_classifier

# Pieces that have broken tokenisers before: split contractions, apostrophes, hyphens, digits, odd spaces.
PIECES = st.sampled_from([
    "n't", "'", "'s", "ca", "do", "-", "\u2019", "\u2010", "`", "kill", "myself", "die", "year", "11", "15yo",
    "yr11", "i", "im", "kms", "\n", "\r", "\u00a0", "\u200b", "\ufeff", ".", "?", "!", "...", "😢", "ﬁ", "İ",
])
MIXED = st.lists(st.one_of(PIECES, st.text(max_size=8)), max_size=40).map(" ".join)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.one_of(st.text(max_size=300), MIXED))
def test_no_text_breaks_the_check(text: str) -> None:
    classifier = get_classifier()
    words = classifier._set.normaliser.words(text)
    assert all(word and not word.isspace() for word in words)
    assessment = classifier.classify(text)
    assert CHECK_FAILED not in assessment.labels, "the check raised on this text and fell back to the fail-safe"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.text(alphabet=st.characters(codec="utf-8"), min_size=1500, max_size=2000))
def test_long_odd_text_is_checked(text: str) -> None:
    assert CHECK_FAILED not in get_classifier().classify(text).labels


def test_when_the_check_breaks_the_message_is_flagged_and_gets_help(monkeypatch: pytest.MonkeyPatch) -> None:
    classifier = get_classifier()

    def broken(text: str) -> list[str]:
        raise RuntimeError("a bug in the check")

    monkeypatch.setattr(classifier._set.normaliser, "words", broken)
    assessment = classifier.classify("anything at all")
    assert assessment.flagged and assessment.labels == {CHECK_FAILED}
    assert assessment.severity == max(classifier.severity(label) for label in classifier.labels)
    for channel in ("web", "sms"):
        replies = safety_response(assessment.labels, channel)
        assert "999" in replies[0] and "116 123" in replies[0]
        assert "not a person" in replies[-1]


def test_the_fail_safe_log_line_holds_no_message_text(monkeypatch: pytest.MonkeyPatch, caplog) -> None:
    classifier = get_classifier()
    monkeypatch.setattr(classifier._set.normaliser, "words", lambda text: 1 / 0)
    classifier.classify("my secret words")
    assert "ZeroDivisionError" in caplog.text and "secret" not in caplog.text
