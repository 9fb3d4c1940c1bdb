"""The statistical layer under the rules: a small spaCy text classifier trained from the project's labelled data,
with a logistic regression over the letters of its words beside it.

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
FORMAT = 2  # 2: the letter model beside the bag of words (1 had the bag of words alone)
LETTERS_FILE = "letters.npz"

RISK_LABELS = ("immediate_danger", "suicide_self_harm", "recent_sexual_assault", "under_18")
# Distress where the right answer is to ask: "are you thinking about ending your life?" / "are you safe right now?"
ASK_LABELS = {"ask_suicide": "suicide", "ask_safety": "safety"}
MODEL_LABELS = (*RISK_LABELS, *ASK_LABELS)
# A check-in kind and the emergency label whose weak score also asks that question.
CHECK_IN_FOR = {"suicide_self_harm": "suicide", "immediate_danger": "safety"}
# A confirm floor is a low score: the model must be fairly sure a rule hit is only a topic mentioned (the floors are
# chosen at training within a budget of the rules' true hits: see safety.train.CONFIRM_GRID).
MAX_CONFIRM = 0.35
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


# Beside the bag of words, a logistic regression over runs of three to five letters within each word (hashed, no
# vocabulary): "kil", "overdos", "bleedin" and a word's other spellings share most of their runs, where the bag of
# words sees a word it never met. Each part's score is the two models' scores mixed, this much of it the letters'.
# Chosen out of fold on the training batches (see docs/safety.md, "Letters beside words"). The runs are hashed here
# with numpy alone, so scoring needs no other library (scikit-learn is used to train only).
LETTER_WEIGHT = 0.3
LETTER_C = 16.0
LETTER_RUNS = (3, 4, 5)
LETTER_BITS = 18
_BASE = np.uint64(1_000_003)
_SPREAD = np.uint64(0x9E3779B97F4A7C15)  # multiplicative hashing: the top bits of the product are well mixed


def letter_runs(text: str) -> Any:
    """The hashed index of every run of 3 to 5 characters of `text`'s words, each word read with a space either
    side (" kil", "kill", "ill "); a run never spans two words. One index per run, repeats kept."""
    return _runs(" " + " ".join(text.lower().split()) + " ")[0]


def _runs(padded: str) -> tuple[Any, Any]:
    """Every run of `padded` (words between single spaces, a space at each end): its hashed index, and where its
    second character is (a run has no space inside it, so that character is in the run's own word)."""
    codes = np.frombuffer(padded.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    spaces_before = np.concatenate(([0], np.cumsum(codes == 32)))
    runs, places = [], []
    for n in LETTER_RUNS:
        count = len(codes) - n + 1
        if count <= 0:
            continue
        hashed = np.full(count, n, dtype=np.uint64)  # the length is part of the hash
        for k in range(n):
            hashed = hashed * _BASE + codes[k : k + count]
        inside = spaces_before[n - 1 : n - 1 + count] - spaces_before[1 : 1 + count]  # spaces within the run
        runs.append(hashed[inside == 0])
        places.append(np.flatnonzero(inside == 0) + 1)
    if not runs:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return ((np.concatenate(runs) * _SPREAD) >> np.uint64(64 - LETTER_BITS)).astype(np.int64), np.concatenate(places)


def letter_vector(text: str) -> tuple[Any, Any]:
    """The runs of a text as a unit-length count vector: (indices, values)."""
    indices, counts = np.unique(letter_runs(text), return_counts=True)
    norm = float(np.sqrt(np.sum(counts.astype(float) ** 2))) or 1.0
    return indices, counts / norm


def letter_vectors(texts: Sequence[str]) -> tuple[Any, Any, Any]:
    """`letter_vector` of each text, all at once (one pass of numpy over them, not one per text): the text each
    entry belongs to, its index and its value, in order of text then index."""
    words = [" ".join(text.lower().split()) for text in texts]
    runs, places = _runs(" " + " ".join(words) + " ")  # a run never spans two words, so never two texts
    starts = np.cumsum([1] + [len(w) + 1 for w in words])  # where each text's first character is
    owner = np.searchsorted(starts, places, side="right") - 1
    keys, counts = np.unique(owner * (1 << LETTER_BITS) + runs, return_counts=True)
    owner, indices = keys >> LETTER_BITS, keys & ((1 << LETTER_BITS) - 1)
    norms = np.sqrt(np.bincount(owner, weights=counts.astype(float) ** 2, minlength=len(texts)))
    return owner, indices, counts / np.where(norms > 0, norms, 1.0)[owner]


class LetterModel:
    """Logistic regression over hashed letter runs: one row of weights per label (the safety model's: MODEL_LABELS
    order; the check-in reply model's: one per question)."""

    def __init__(self, coef: Any, intercept: Any, rows: int = len(MODEL_LABELS)) -> None:
        coef = np.asarray(coef, dtype=np.float32)  # as saved: one row per label
        self.intercept = np.asarray(intercept, dtype=np.float64)
        if coef.shape != (rows, 1 << LETTER_BITS) or self.intercept.shape != (rows,):
            raise ValueError("the letter model's weights do not match this code's labels and features")
        # features x labels, the one copy kept; float32 as saved (read into float64 sums exactly as it is)
        self._weights = np.ascontiguousarray(coef.T)

    @property
    def coef(self) -> Any:
        """The weights as saved: one row per label."""
        return self._weights.T

    @staticmethod
    def text(words: Sequence[str]) -> str:
        """The words of one part as the letter model reads them."""
        return " ".join(words)

    def predict(self, parts: Sequence[Sequence[str]]) -> Any:
        """A 0..1 score per model label for each part (rows: parts, columns: MODEL_LABELS)."""
        owner, indices, values = letter_vectors([self.text(part) for part in parts])
        logits = np.tile(self.intercept, (len(parts), 1))
        if len(owner):  # entries come text by text: each text's sum is one stretch of the rows
            firsts = np.flatnonzero(np.concatenate(([True], owner[1:] != owner[:-1])))
            logits[owner[firsts]] += np.add.reduceat(values[:, None] * self._weights[indices], firsts, axis=0)
        return 1.0 / (1.0 + np.exp(-np.clip(logits, -30.0, 30.0)))

    def save(self, path: Path) -> None:
        """Weights only, read back by `load`."""
        np.savez_compressed(path, coef=self.coef.astype(np.float32), intercept=self.intercept)

    @classmethod
    def load(cls, path: Path) -> LetterModel:
        with np.load(path, allow_pickle=False) as saved:
            return cls(saved["coef"], saved["intercept"])


# Scored when the model is trained and again whenever it is loaded: the service (spaCy 3.8, a recent scikit-learn)
# trains it and the assistant (spaCy 3.4, the scikit-learn Rasa pins) loads it too. A model that scores these
# differently where it is loaded is refused there (the rules still run) rather than trusted with other numbers.
PROBES: tuple[tuple[str, ...], ...] = (
    ("i", "want", "to", "die", "tonight"),
    ("he", "is", "outside", "my", "door", "with", "a", "knife"),
    ("what", "does", "consent", "mean", "?"),
    ("the", "library", "was", "full", ".") * 12 + ("i", "took", "all", "my", "pills"),
)
PROBE_TOLERANCE = 1e-4


def mix(bag: Any, letters: Any) -> Any:
    """The scores of the two models for the same parts, mixed."""
    return (1.0 - LETTER_WEIGHT) * np.asarray(bag, dtype=float) + LETTER_WEIGHT * np.asarray(letters, dtype=float)


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
    # Below the check-in, a suicide or danger reading (the label or its question's, the stronger of the two kinds) at or
    # above this is a faint sign: the reply carries a quiet line of 24/7 help when it gives no number (see
    # Verdict.faint). None (a model saved before it was chosen): safety.verdict.FAINT_FROM.
    faint: float | None = None

    def firing(self, label: str, parts: int = 1) -> float:
        """The firing threshold of a label for a message read in this many parts."""
        return self.fire_long.get(label, self.fire[label]) if parts > 1 else self.fire[label]

    def to_json(self) -> dict[str, Any]:
        """Plain JSON for the settings file."""
        return {"fire": self.fire, "weak": self.weak, "confirm": self.confirm, "fire_long": self.fire_long,
                "faint": self.faint}

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
        faint = raw.get("faint")
        if faint is not None and (isinstance(faint, bool) or not isinstance(faint, int | float)
                                  or not 0.0 < float(faint) <= 1.0):
            raise ValueError("the faint threshold must be between 0 and 1")
        return cls(fire={k: float(v) for k, v in fire.items()}, weak={k: float(v) for k, v in weak.items()},
                   confirm={k: float(v) for k, v in confirm.items()},
                   fire_long={k: float(v) for k, v in fire_long.items()},
                   faint=None if faint is None else float(faint))


def is_punctuation(word: str) -> bool:
    """A word made of punctuation marks only ("?", "?!", "..."); an emoji or a letter is not one."""
    if word[:1].isalnum():  # most words: settled by their first character
        return False
    return all(unicodedata.category(ch).startswith("P") for ch in word)


def model_words(words: Sequence[str]) -> tuple[str, ...]:
    """The words as the model reads them: a run of punctuation counts once ("??? kms ?!?!" reads as "? kill
    myself ?"), as a sentence end when it holds one (a line break reads as "."), so that `windows` still splits
    there. A bag of words adds up what it reads, so six question marks once outweighed the one word that mattered
    and scored that message as an assault. Emoji are words here, and are kept."""
    out: list[str] = []
    for word in words:
        if out and is_punctuation(word) and is_punctuation(out[-1]):
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

    def __init__(self, nlp: Any, thresholds: Thresholds, info: dict[str, Any] | None = None,
                 letters: LetterModel | None = None) -> None:
        from spacy.tokens import Doc

        self._nlp = nlp
        self.letters = letters
        self.directory: Path | None = None  # where it was loaded from
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
            letters = LetterModel.load(directory / LETTERS_FILE)
            model = cls(nlp, thresholds, info, letters)
            model.check_probes(info.get("probes"))
            model.directory = directory
        except Exception as exc:  # an unreadable model is a missing model: the rules still run
            raise ModelMissing(f"the safety model at {directory} cannot be used here ({exc})") from exc
        return model

    def probe_scores(self) -> list[dict[str, float]]:
        """The scores of PROBES, saved at training and compared on loading."""
        return [dict(self.scores(words)) for words in PROBES]

    def check_probes(self, saved: Any) -> None:
        """Refuse a model that scores the probes differently here than where it was trained."""
        if not isinstance(saved, list) or len(saved) != len(PROBES):
            raise ValueError("the model carries no probe scores to check it against")
        for expected, got in zip(saved, self.probe_scores(), strict=True):
            if set(expected) != set(got) or any(abs(float(expected[k]) - got[k]) > PROBE_TOLERANCE for k in got):
                raise ValueError("the model scores differently here than where it was trained")

    def scores_each(self, messages: Sequence[Sequence[str]]) -> list[dict[str, float]]:
        """Each short message's scores, every one read whole and all in one pass: as `scores` would score each alone
        (one with no letters scores 0), at about the cost of one. Used for a message's sentences read alone (see
        safety.verdict); a message longer than WINDOW words is refused, since `scores` reads it by sentence."""
        parts = [list(model_words(words)) for words in messages]
        if any(len(part) > WINDOW for part in parts):
            raise ValueError(f"scores_each reads messages of up to {WINDOW} words whole")
        out = [dict.fromkeys(MODEL_LABELS, 0.0) for _ in messages]
        wordy = [n for n, words in enumerate(messages) if any(any(ch.isalpha() for ch in word) for word in words)]
        if not wordy:
            return out
        labels = self._textcat.labels
        for n, row in zip(wordy, self._score_parts([parts[n] for n in wordy]), strict=True):
            out[n] = {label: float(row[i]) for i, label in enumerate(labels)}
        return out

    def scores(self, words: Sequence[str]) -> Scores:
        """A 0..1 score per model label for one message's canonical words.

        A message with no word at all ("???", "...", "99.99") gets no score from it, so the rules' verdict
        stands. Marks and numbers alone were once scored like a crisis (a run of "?" as an assault).
        """
        if not any(any(ch.isalpha() for ch in word) for word in words):
            return Scores(dict.fromkeys(MODEL_LABELS, 0.0))
        parts = windows(list(model_words(words)))
        ranked = -np.sort(-self._score_parts(parts), axis=0)  # each label's parts, best first
        labels = self._textcat.labels
        second = ranked[1] if len(parts) > 1 else np.zeros(len(labels))
        return Scores({label: float(ranked[0, i]) for i, label in enumerate(labels)},
                      {label: float(second[i]) for i, label in enumerate(labels)}, len(parts))

    def _score_parts(self, parts: Sequence[list[str]]) -> Any:
        """One row of scores per part (a message, or a sentence of one), in one pass of each model."""
        with self._lock:  # the string store is shared with nothing else, but Doc creation writes to it
            scored = self._textcat.predict([self._doc(self._nlp.vocab, words=part) for part in parts])
        if self.letters is not None:
            scored = mix(scored, self.letters.predict(parts))
        return np.asarray(scored, dtype=float)
