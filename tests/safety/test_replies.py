"""The check-in reply model: it reads risk into replies the lists leave unread, never less, and never fails loudly."""

from __future__ import annotations

import logging

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from safety import replies
from safety.check_in import get_check_in
from safety.replies import needs_reading, shows_risk


@pytest.fixture(autouse=True)
def _fresh_model():
    replies.get_reply_model.cache_clear()
    yield
    replies.get_reply_model.cache_clear()


@pytest.mark.parametrize(("text", "payload", "read"), [
    ("no", None, False),  # an answer whole: the lists' reading stands
    ("No.", None, False),
    ("nah im fine, just tired", None, False),  # an answer and a few plain words
    ("Yes", "/affirm", False),  # a quick reply
    ("no one would even notice if i wasnt here", None, True),  # not a no
    ("its on my mind pretty much every night", None, True),  # no answer the lists know
    ("no, but i keep thinking everyone would be better off without me around", None, True),  # turned round
])
def test_only_replies_the_lists_leave_unread_go_to_the_model(text: str, payload: str | None, read: bool) -> None:
    assert needs_reading(get_check_in(), text, payload) is read


@pytest.mark.parametrize(("kind", "text"), [
    ("suicide", "honestly its on my mind pretty much every night now"),
    ("suicide", "i keep thinking everyone would be better off if i just wasnt here anymore"),
    ("safety", "hes still outside the flat and keeps banging on the door"),
    ("suicide", "sometimes yeah, but i would never act on it"),  # thoughts, even without intent, are not a no
])
def test_risk_in_words_no_list_holds_is_read_as_risk(kind: str, text: str) -> None:
    assert shows_risk(kind, text)


@pytest.mark.parametrize(("kind", "text"), [
    ("suicide", "what time does the library close tonight"),
    ("suicide", "can you tell me how to make a formal report about my tutor"),
    ("safety", "sorry i was just asking about the deadline for my appeal"),
    ("suicide", "will my parents be told if i say yes"),  # asking what happens first is not an answer
    ("suicide", "is this confidential"),
    ("suicide", "no"),  # read by the lists: never by the model
    ("safety", "yes im safe"),
])
def test_questions_and_answers_without_risk_are_not_read_as_risk(kind: str, text: str) -> None:
    assert not shows_risk(kind, text)


def test_without_a_model_or_with_a_broken_one_the_lists_read_alone_and_nothing_is_logged_of_the_reply(
    tmp_path, monkeypatch, caplog
) -> None:
    reply = "honestly its on my mind pretty much every night now"
    monkeypatch.setattr(replies, "MODEL_FILE", tmp_path / "missing.npz")
    assert not shows_risk("suicide", reply)
    broken = tmp_path / "broken.npz"
    broken.write_bytes(b"not a model at all")
    monkeypatch.setattr(replies, "MODEL_FILE", broken)
    replies.get_reply_model.cache_clear()
    with caplog.at_level(logging.WARNING):
        assert not shows_risk("suicide", reply)
    assert caplog.records and all("every night" not in r.getMessage() for r in caplog.records)


@settings(max_examples=200, deadline=None)
@given(kind=st.sampled_from(["suicide", "safety", "neither"]), text=st.text(max_size=3000),
       payload=st.none() | st.text(max_size=40))
def test_any_reply_at_all_is_read_without_an_error(kind: str, text: str, payload: str | None) -> None:
    assert shows_risk(kind, text, payload) in (True, False)


def test_a_very_long_reply_is_read_by_its_first_words() -> None:
    long = "its on my mind pretty much every night " + "and the library was busy " * 5000
    first = " ".join(long.split()[:replies.READ_WORDS])
    assert replies.get_reply_model() is not None
    assert replies.get_reply_model().score("suicide", long) == replies.get_reply_model().score("suicide", first)


def test_training_needs_two_files_to_choose_its_thresholds_out_of_fold(tmp_path) -> None:
    one = tmp_path / "train_x.yml"
    one.write_text('replies:\n  - {question: Q1, meaning: "no", text: "no"}\n', encoding="utf-8")
    with pytest.raises(ValueError, match="at least two files"):
        replies.train([one])


def test_the_reply_model_never_trains_on_a_blind_file() -> None:
    names = [path.name for path in replies.training_files()]
    assert "tune_1.yml" in names and any(n.startswith("train_") for n in names)
    assert not any(n.startswith(("blind_", "welsh_")) for n in names)
