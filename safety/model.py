"""The statistical layer under the rules: a small spaCy text classifier trained from the project's labelled data.

It reads the same canonical words as the rules (after SMS spellings and typo repair), and gives each risk label
a score from 0 to 1, plus two "ask" scores for distress that needs a kind direct question rather than a guess.
`safety.train` builds it; the thresholds that turn scores into decisions are chosen there by cross-validation
on the training data and are saved beside the model.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

logger = logging.getLogger(__name__)

MODEL_ENV = "SAFETY_MODEL_PATH"
DEFAULT_MODEL_DIR = Path(__file__).resolve().parent.parent / "models" / "safety"
SETTINGS_FILE = "safety.json"
FORMAT = 1

RISK_LABELS = ("immediate_danger", "suicide_self_harm", "recent_sexual_assault", "under_18")
# Distress where the right answer is to ask: "are you thinking about ending your life?" / "are you safe right now?"
ASK_LABELS = {"ask_suicide": "suicide", "ask_safety": "safety"}
MODEL_LABELS = (*RISK_LABELS, *ASK_LABELS)
# A check-in kind and the emergency label whose weak score also asks that question.
CHECK_IN_FOR = {"suicide_self_harm": "suicide", "immediate_danger": "safety"}
# A confirm floor is a near-zero score: the model must be all but sure a rule hit is only a topic mentioned.
MAX_CONFIRM = 0.1
TEXTCAT = "textcat_multilabel"
# A bag of words adds up what it reads: in a long message the ordinary words outweigh one sentence of crisis
# (a sentence it scores 0.93 alone scores 0.3 after three sentences about the library, 0.0 after ten), and a
# sentence said thirty times piles up to 1.0. A message longer than those it learnt from (99% of the training
# messages have 42 words or fewer) is read sentence by sentence, each label taking its highest score; a sentence
# longer than that is read in stretches of that length.
WINDOW = 45
SENTENCE_END = frozenset({".", "!", "?"})
# Bag of words and word pairs (hashed, no vectors): cross-validation on the training data scored it as well as
# a CNN ensemble over word pieces at a fifth of the cost. TextCatBOW.v2 has this name in spaCy 3.4 and 3.8.
MODEL_CONFIG: dict[str, Any] = {
    "@architectures": "spacy.TextCatBOW.v2", "exclusive_classes": False, "ngram_size": 2, "no_output_layer": False,
    "nO": None,
}


def blank_pipeline() -> Any:
    """A blank English pipeline with an untrained multi-label classifier for the model labels."""
    import spacy

    nlp = spacy.blank("en")
    textcat: Any = nlp.add_pipe(TEXTCAT, config={"model": MODEL_CONFIG, "threshold": 0.5})
    for label in MODEL_LABELS:
        textcat.add_label(label)
    return nlp


class ModelMissing(Exception):
    """There is no usable model at the path (not trained yet, or unreadable here)."""


@dataclass(frozen=True)
class Thresholds:
    """Where a score becomes a decision, per model label (chosen by cross-validation when training)."""

    fire: dict[str, float]  # at or above: the label is raised (its safety response is sent)
    weak: dict[str, float]  # at or above (and below `fire`): a weak hit, shown to officers; a check-in for two labels
    # For the two check-in labels: a rule hit the model scores below this (the label or its question) is asked
    # about directly instead of answered with 999 ("is there a self-harm group on campus?"). 0 (or absent): never.
    confirm: dict[str, float] = field(default_factory=dict)
    # Firing for a message read in more than one part (longer than WINDOW words), where it differs: each sentence is
    # another chance for an ordinary one to score like a crisis. Absent: `fire`.
    fire_long: dict[str, float] = field(default_factory=dict)

    def firing(self, label: str, parts: int = 1) -> float:
        """The firing threshold of a label for a message read in this many parts."""
        return self.fire_long.get(label, self.fire[label]) if parts > 1 else self.fire[label]

    def to_json(self) -> dict[str, Any]:
        """Plain JSON for the settings file."""
        return {"fire": self.fire, "weak": self.weak, "confirm": self.confirm, "fire_long": self.fire_long}

    @classmethod
    def from_json(cls, raw: Any) -> Thresholds:
        """Read back; refuses anything that is not a threshold between 0 and 1 for a known label."""
        fire, weak = raw["fire"], raw["weak"]
        for table in (fire, weak):
            if set(table) != set(MODEL_LABELS) or not all(0.0 < float(v) <= 1.0 for v in table.values()):
                raise ValueError("thresholds must cover every model label, each between 0 and 1")
        confirm = raw.get("confirm", {})
        if not isinstance(confirm, dict) or not set(confirm) <= set(CHECK_IN_FOR) \
                or not all(0.0 <= float(v) < MAX_CONFIRM for v in confirm.values()):
            raise ValueError(f"confirm floors are for {sorted(CHECK_IN_FOR)} only, each from 0 to {MAX_CONFIRM}")
        fire_long = raw.get("fire_long", {})
        if not isinstance(fire_long, dict) or not set(fire_long) <= set(MODEL_LABELS) \
                or not all(0.0 < float(v) <= 1.0 for v in fire_long.values()):
            raise ValueError("long-message firing thresholds must be for known labels, each between 0 and 1")
        return cls(fire={k: float(v) for k, v in fire.items()}, weak={k: float(v) for k, v in weak.items()},
                   confirm={k: float(v) for k, v in confirm.items()},
                   fire_long={k: float(v) for k, v in fire_long.items()})


def _punctuation(word: str) -> bool:
    return all(unicodedata.category(ch).startswith("P") for ch in word)


def model_words(words: Sequence[str]) -> tuple[str, ...]:
    """The words as the model reads them: a run of punctuation counts once ("??? kms ?!?!" reads as "? kill
    myself ?"), as a sentence end when it holds one (a line break reads as "."), so that `windows` still splits
    there. A bag of words adds up what it reads, so six question marks once outweighed the one word that mattered
    and scored that message as an assault. Emoji are words here, and are kept."""
    out: list[str] = []
    for word in words:
        if out and _punctuation(word) and _punctuation(out[-1]):
            if word in SENTENCE_END and out[-1] not in SENTENCE_END:
                out[-1] = word
            continue
        out.append(word)
    return tuple(out)


def windows(words: list[str], size: int = WINDOW) -> list[list[str]]:
    """A message as the model reads it: whole when it is as long as the messages it learnt from, else by
    sentence (a line break ends one too), and a sentence longer than that in stretches of that length."""
    if len(words) <= size:
        return [words]
    sentences: list[list[str]] = [[]]
    for word in words:
        sentences[-1].append(word)
        if word in SENTENCE_END and any(ch.isalpha() for w in sentences[-1] for ch in w):
            sentences.append([])
    out: list[list[str]] = []
    for sentence in sentences:
        if len(sentence) <= size:
            out += [sentence] if any(ch.isalpha() for w in sentence for ch in w) else []
        else:  # back to back, the last one ending with the sentence: no more words read than there are
            out += [sentence[start : start + size] for start in [*range(0, len(sentence) - size, size),
                                                                  len(sentence) - size]]
    return out or [words[:size]]


class Scores(dict[str, float]):
    """A score per model label (the best of the message's parts), with what a long message needs beside it: how
    many parts it was read in, and each label's second-best part (a hit one sentence alone carries, or one the
    rest of the message bears out)."""

    def __init__(self, best: dict[str, float], second: dict[str, float] | None = None, parts: int = 1) -> None:
        super().__init__(best)
        self.second = second or dict.fromkeys(best, 0.0)
        self.parts = parts


class RiskModel:
    """Scores canonical words with the trained classifier. Thread-safe; cost linear in the message length."""

    def __init__(self, nlp: Any, thresholds: Thresholds, info: dict[str, Any] | None = None) -> None:
        from spacy.tokens import Doc

        self._nlp = nlp
        self._doc = Doc
        self._textcat = nlp.get_pipe(TEXTCAT)
        self._lock = threading.Lock()
        self.thresholds = thresholds
        self.info = info or {}

    @classmethod
    def load(cls, path: str | os.PathLike[str] | None = None) -> RiskModel:
        """Load a trained model: the given path, else $SAFETY_MODEL_PATH, else models/safety. Raises ModelMissing."""
        directory = Path(path or os.environ.get(MODEL_ENV) or DEFAULT_MODEL_DIR)
        settings_path = directory / SETTINGS_FILE
        if not settings_path.is_file():
            raise ModelMissing(f"no safety model at {directory} (build it with `python -m safety.train`)")
        try:
            info = json.loads(settings_path.read_text(encoding="utf-8"))
            if info.get("format") != FORMAT:
                raise ValueError(f"model format {info.get('format')!r}, this code reads {FORMAT}")
            thresholds = Thresholds.from_json(info["thresholds"])
            nlp = blank_pipeline()
            nlp.get_pipe(TEXTCAT).from_disk(directory / TEXTCAT, exclude=["vocab"])
            if tuple(nlp.get_pipe(TEXTCAT).labels) != MODEL_LABELS:
                raise ValueError("the model's labels are not the ones this code expects")
        except Exception as exc:  # an unreadable model is a missing model: the rules still run
            raise ModelMissing(f"the safety model at {directory} cannot be used here ({exc})") from exc
        return cls(nlp, thresholds, info)

    def scores(self, words: Sequence[str]) -> Scores:
        """A 0..1 score per model label for one message's canonical words.

        A message with no word at all ("???", "...", "99.99") gets no score from it, so the rules' verdict
        stands. Marks and numbers alone were once scored like a crisis (a run of "?" as an assault).
        """
        if not any(any(ch.isalpha() for ch in word) for word in words):
            return Scores(dict.fromkeys(MODEL_LABELS, 0.0))
        with self._lock:  # the string store is shared with nothing else, but Doc creation writes to it
            docs = [self._doc(self._nlp.vocab, words=part) for part in windows(list(model_words(words)))]
            scored = self._textcat.predict(docs)
        ranked = -np.sort(-np.asarray(scored, dtype=float), axis=0)  # each label's parts, best first
        labels = self._textcat.labels
        second = ranked[1] if len(docs) > 1 else np.zeros(len(labels))
        return Scores({label: float(ranked[0, i]) for i, label in enumerate(labels)},
                      {label: float(second[i]) for i, label in enumerate(labels)}, len(docs))
