"""A reply to the check-in read beyond the lists: a small model of whether it shows risk.

The lists in data/safety/responses.yml read a reply that is an answer ("no", "I'm fine", "rather not say") or starts
with one ("no, just stressed about exams"). Students also answer without any of those words ("it's on my mind most
nights", "he's still outside"), or say "no" and then take it back in words no list holds. For the replies the lists
leave unread, or read only as "an answer and then more", this model gives the probability that the reply shows risk
(yes to the suicide question; not safe, or not sure, to either), one logistic regression for each question. A reply
it scores at or above its question's threshold is read as "not sure": the student gets the safety response and the
conversation is raised for an officer. It never reads a reply as showing no risk: that stays with the lists, so the
model can only add help, never take it away.

It is trained by ``python -m safety.replies`` (``make train``) from the labelled replies written for it, which are
never the blind files: ``tests/safety/check_in_answers/train_*.yml`` and ``tune_1.yml``. Each threshold is chosen out
of fold, each file judged by a model that never read it: the lowest at which the replies that show no risk and would
be read by the model get the safety response at most ``BUDGET`` of the time. Features are runs of three to five
letters of each word and of each pair of neighbouring words (hashed with numpy, as the safety model's letters are),
so scoring needs numpy alone. Without the model the lists read replies alone, as before, and the log says so once.
"""

from __future__ import annotations

import argparse
import itertools
import json
import logging
import sys
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from safety.check_in import KINDS, CheckInTexts, classify, concerning, get_check_in, leading_answer, plain
from safety.model import LETTER_BITS, LetterModel, letter_vectors

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent
MODEL_FILE = ROOT / "models" / "check_in_replies.npz"
DATA = ROOT / "tests" / "safety" / "check_in_answers"
TRAINING = ("tune_1.yml", "train_*.yml")  # never blind_*.yml or welsh_*.yml
QUESTION_KIND = {"Q1": "suicide", "Q2": "suicide", "Q3": "safety", "Q4": "safety"}
READ_WORDS = 60  # a reply's first words: an answer and what it says about it come first
BUDGET = 0.03  # out of fold: the share of no-risk replies the model reads that it may give the safety response
C = 8.0  # the regression's inverse regularisation (chosen out of fold: see docs/safety.md)


def reply_words(text: str) -> list[str]:
    """A reply as the model reads it: its plain words, then each pair of neighbours joined ("not_really")."""
    words = plain(text).split()[:READ_WORDS]
    return words + [f"{a}_{b}" for a, b in itertools.pairwise(words)]


def needs_reading(texts: CheckInTexts, text: str, payload: str | None = None) -> bool:
    """True for a reply the lists leave to the model: not an answer whole (nor a quick reply), and not an answer
    followed only by a few plain words ("no, just tired")."""
    if classify(texts, text, payload) is not None:
        return False
    lead = leading_answer(texts, text)
    return lead is None or not lead.plain_rest


def _matrix(texts: Sequence[str]) -> Any:
    from scipy.sparse import csr_matrix

    owner, indices, values = letter_vectors([" ".join(reply_words(t)) for t in texts])
    return csr_matrix((values, (owner, indices)), shape=(len(texts), 1 << LETTER_BITS))


class ReplyModel:
    """One logistic regression over letter runs for each check-in question (KINDS order), with its threshold."""

    def __init__(self, coef: Any, intercept: Any, thresholds: Any) -> None:
        self.letters = LetterModel(coef, intercept, rows=len(KINDS))
        self.thresholds = np.asarray(thresholds, dtype=np.float64)
        if self.thresholds.shape != (len(KINDS),):
            raise ValueError("the check-in reply model does not match this code's questions")

    def score(self, kind: str, text: str) -> float:
        """The probability that this reply to this question shows risk."""
        return float(self.letters.predict([reply_words(text)])[0, KINDS.index(kind)])

    def weights_bytes(self) -> int:
        return int(self.letters.coef.nbytes)

    def shows_risk(self, kind: str, text: str) -> bool:
        return bool(self.score(kind, text) >= self.thresholds[KINDS.index(kind)])

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(path, coef=self.letters.coef, intercept=self.letters.intercept, thresholds=self.thresholds)

    @classmethod
    def load(cls, path: Path) -> ReplyModel:
        with np.load(path, allow_pickle=False) as saved:
            return cls(saved["coef"], saved["intercept"], saved["thresholds"])


@lru_cache(maxsize=1)
def get_reply_model() -> ReplyModel | None:
    """The trained model, or None (the lists alone read replies; said once in the log)."""
    try:
        return ReplyModel.load(MODEL_FILE)
    except FileNotFoundError:
        logger.warning("no check-in reply model (python -m safety.replies): replies are read by the lists alone")
    except (ValueError, OSError, KeyError) as exc:
        logger.error("the check-in reply model could not be read (%s): replies are read by the lists alone",
                     type(exc).__name__)
    return None


def shows_risk(kind: str, text: str, payload: str | None = None) -> bool:
    """True when the model reads a reply the lists leave to it as showing risk. Never raises: a fault reads nothing."""
    try:
        texts = get_check_in()
        if kind not in KINDS or not needs_reading(texts, text, payload):
            return False
        model = get_reply_model()
        return model is not None and model.shows_risk(kind, text)
    except Exception as exc:  # the lists' reading stands; never the text in the log
        logger.error("a check-in reply could not be read by the model (%s)", type(exc).__name__)
        return False


# Training ----------------------------------------------------------------------------------------------------------


def labelled(files: Sequence[Path]) -> list[tuple[str, str, bool, str]]:
    """(kind, text, shows risk, file) for every reply in the files."""
    import yaml

    texts = get_check_in()
    out = []
    for path in files:
        for item in yaml.safe_load(path.read_text(encoding="utf-8"))["replies"]:
            kind = QUESTION_KIND[item["question"]]
            out.append((kind, str(item["text"]), concerning(texts, kind, str(item["meaning"])), path.name))
    return out


def training_files(folder: Path = DATA) -> list[Path]:
    return sorted({p for pattern in TRAINING for p in folder.glob(pattern)})


def _fit(texts: Sequence[str], risk: Sequence[bool], c: float = C) -> tuple[Any, float]:
    from sklearn.linear_model import LogisticRegression

    regression = LogisticRegression(C=c, class_weight="balanced", max_iter=2000)
    regression.fit(_matrix(texts), np.asarray(risk, dtype=int))
    return regression.coef_[0].astype(np.float32), float(regression.intercept_[0])


def out_of_fold(rows: Sequence[tuple[str, str, bool, str]], kind: str, c: float = C) -> list[tuple[float, bool]]:
    """(score, shows risk) for each reply to this question that the model would read, each file scored by a model
    trained on the others."""
    texts = get_check_in()
    mine = [r for r in rows if r[0] == kind]
    scored: list[tuple[float, bool]] = []
    for held in sorted({r[3] for r in mine}):
        train = [r for r in mine if r[3] != held]
        coef, intercept = _fit([r[1] for r in train], [r[2] for r in train], c)
        model = LetterModel(coef[None, :], [intercept], rows=1)
        held_out = [r for r in mine if r[3] == held and needs_reading(texts, r[1])]
        if held_out:
            scores = model.predict([reply_words(r[1]) for r in held_out])[:, 0]
            scored += [(float(s), r[2]) for s, r in zip(scores, held_out, strict=True)]
    return scored


def threshold(scored: Sequence[tuple[float, bool]], budget: float = BUDGET) -> float:
    """The lowest threshold at which at most `budget` of the no-risk replies score at or above it."""
    safe = sorted((s for s, risk in scored if not risk), reverse=True)
    allowed = int(budget * len(safe))
    return float(safe[allowed] + 1e-6) if allowed < len(safe) else 0.5


def train(files: Sequence[Path], c: float = C, budget: float = BUDGET) -> tuple[ReplyModel, dict[str, Any]]:
    if len(files) < 2:
        raise ValueError("the thresholds are chosen out of fold: at least two files of labelled replies are needed")
    rows = labelled(files)
    coefs, intercepts, thresholds, report = [], [], [], {}
    for kind in KINDS:
        scored = out_of_fold(rows, kind, c)
        chosen = threshold(scored, budget)
        caught = sum(1 for s, risk in scored if risk and s >= chosen)
        report[kind] = {"read_by_model": len(scored), "risk": sum(r for _, r in scored), "caught": caught,
                        "no_risk_given_help": sum(1 for s, r in scored if not r and s >= chosen),
                        "threshold": round(chosen, 4)}
        mine = [r for r in rows if r[0] == kind]
        coef, intercept = _fit([r[1] for r in mine], [r[2] for r in mine], c)
        coefs.append(coef)
        intercepts.append(intercept)
        thresholds.append(chosen)
    return ReplyModel(np.stack(coefs), np.asarray(intercepts), np.asarray(thresholds)), report


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Train the check-in reply model (models/check_in_replies.npz).")
    parser.add_argument("--out", type=Path, default=MODEL_FILE)
    parser.add_argument("--c", type=float, default=C)
    parser.add_argument("--budget", type=float, default=BUDGET)
    args = parser.parse_args(argv)
    files = training_files()
    if not files:
        sys.exit(f"no training replies in {DATA}")
    try:
        model, report = train(files, args.c, args.budget)
    except ValueError as exc:
        sys.exit(str(exc))
    model.save(args.out)
    print(json.dumps({"files": [f.name for f in files], "out_of_fold": report}, indent=1))


if __name__ == "__main__":
    main()
