"""Train the safety model: `python -m safety.train [--out models/safety] [--seed 0]`.

Training data: the labelled set and the batches of new phrasings (look-alikes are negatives, ambiguous
messages teach the two "ask" classes), and the everyday messages the assistant itself is trained on (so that
"hello" or "is this confidential?" carries no risk). The held-out set and the blind batches are never read here.
Thresholds are chosen by cross-validation over the training data only (every batch lies whole in one fold, so
each threshold is judged on phrasings the fold's model never read, near-twins included), then a final model is
trained on everything and saved with its thresholds.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import math
import random
import re
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from safety.model import (
    ASK_LABELS,
    CHECK_IN_FOR,
    DEFAULT_MODEL_DIR,
    FORMAT,
    LETTER_BITS,
    LETTER_C,
    LETTERS_FILE,
    MODEL_CONFIG,
    MODEL_LABELS,
    RISK_LABELS,
    SENTENCE_END,
    SETTINGS_FILE,
    TEXTCAT,
    WINDOW,
    LetterModel,
    RiskModel,
    Thresholds,
    blank_pipeline,
    letter_vector,
    mix,
    model_words,
    windows,
)

ROOT = Path(__file__).resolve().parent.parent
LABELLED_SET = ROOT / "tests" / "safety" / "labelled.yml"
BATCHES = ROOT / "tests" / "safety" / "batches"
EVERYDAY = ROOT / "data" / "rasa" / "nlu"
# Intents of the assistant's own training data that are ordinary questions and conversation, used as negatives.
# Left out: intents whose examples describe what happened to someone (share_experience, help_friend, stalking,
# grooming, image abuse, a parent harassing staff), which may carry real risk. An example the rules flag is
# left out too.
EVERYDAY_INTENTS = frozenset("""
    greet goodbye thank affirm deny ask_help bot_challenge request_person restart delete_conversation out_of_scope
    ask_confidentiality ask_confidentiality_limits ask_chat_privacy ask_consent ask_consent_freedom
    ask_consent_capacity ask_consent_withdraw ask_consent_relationship ask_what_is_harassment ask_sexual_harassment
    ask_bullying ask_online_harassment ask_abuse_of_power ask_disclosure_vs_report ask_anonymous
    ask_informal_resolution goal_talk goal_disclose goal_report request_callback provide_reference
    ask_staff_student_relationship accused_support ask_interim_measures ask_retaliation ask_how_to_report
    ask_report_process ask_time_limit ask_appeal ask_evidence ask_contact ask_support_internal ask_support_services
    ask_police ask_sarc
""".split())
_ENTITY_MARKUP = re.compile(r"\[([^\]]+)\](?:\([^)]*\)|\{[^}]*\})")
SEED = 0
EPOCHS = 12
DROPOUT = 0.2
BATCH_SIZE = 32
CV_FOLDS = 4
# Firing sends the emergency answer, and a look-alike given it teaches staff to ignore flags: the firing threshold
# maximises F(beta) weighted towards precision. Below it, a weak hit asks a kind question, weighted a little
# towards recall. Chosen by cross-validation on the training data (fire 0.5/0.75/1/1.5, weak 1/1.25/1.5/2):
# fire 0.5 kept look-alikes given 999 at the rules' own rate; weak 1.25 asks a check-in of 2% of everyday
# messages out of fold (1.5 asked 8%, 2 asked 13%) while 85% of crisis messages get help. With 41 batches, out
# of fold, 0.5 had become the costlier side of the trade: 0.55 raised the danger and suicide labels from 84% and
# 81% of their messages (rules or model) to 89% and 85%, for 11 more of 1,947 look-alikes (27 -> 38) and 4 more
# of 1,958 everyday messages (6 -> 10) given the emergency answer by the model; 0.75 reached 91% and 88% for 62
# look-alikes (3.2%, over the 3% the whole check may spend). With 54 batches, crisis messages of other labels no
# longer count as false alarms (see choose_thresholds); judged again out of fold, each batch with thresholds chosen
# without it (seed 0; look-alikes given 999 of 2,536, then danger / suicide / assault / under-18 recall): the old
# count at 0.55 80, 84.6 / 83.9 / 87.3 / 92.3%; the new one at 0.3 77, 86.7 / 82.0 / 87.5 / 90.2%; 0.4 81,
# 86.8 / 84.5 / 87.5 / 91.9%; 0.45 87, 87.5 / 84.5 / 90.7 / 91.9%; 0.5 99, 91.5 / 86.0 / 91.3 / 92.4%; 0.55 101,
# 91.5 / 87.8 / 91.4 / 92.4%. 0.5 buys seven points of danger recall for 19 look-alikes of 2,536 (3.9%); these
# batches are written to be hard, and on the blind sets the rate stays near half of it.
FIRE_BETA = 0.5
# Danger leans further towards recall: a danger message the model scores between the two thresholds is asked "are
# you safe right now?" (which gives 999), and the rest of the danger answer waits one reply. Out of fold with 67
# batches, F0.75
# (firing 0.33 instead of 0.46) raised danger recall from 90.6% to 93.3% of 2,282 messages, for 7 more of 2,821
# look-alikes (14 -> 21) and 3 more of 1,958 everyday messages given 999 by the model; F1 reached 94.3% for 23 and
# 13. A message read in more than one part keeps the F0.5 threshold (fire_long): each of its sentences is another
# chance for an ordinary one to score like danger.
# The same for suicide, out of fold on 77 batches (rules or model): F0.75 (firing 0.37 instead of 0.51) raised recall
# from 87.9% to 92.2%, for 36 more of 3,372 look-alikes given 999 by the model (106 -> 142, 3.1% -> 4.2%) and 9 more of
# 1,958 everyday messages (11 -> 20). Not taken: it spends more than the 3% the whole check may, and a suicide message
# scored between the two thresholds is already asked "are you thinking about suicide?", with Samaritans' number.
FIRE_BETA_FOR = {"immediate_danger": 0.75}
# F(beta) is flat near its best: out of fold with two more batches (written and not kept, see docs/safety.md) the
# suicide label's F0.5 stayed within 0.2% of its best from a firing threshold of 0.48 to 0.64, while recall fell from
# 86% to 77% over that range. Its highest point there is noise, and those two batches moved it from 0.53 to 0.63. So
# a firing threshold is the lowest whose F(beta) is within this share of the best: near-ties keep the lower one.
# Out of fold on 77 batches (rules or model): suicide 0.534 -> 0.509 and recall 87.1% -> 87.9%, danger 0.352 -> 0.286
# and 93.1% -> 94.3%, for 15 more of 3,372 look-alikes and 7 more of 1,958 everyday messages given 999.
FIRE_TOLERANCE = 0.002
WEAK_BETA = 1.25
WEAK_FLOOR = 0.05
# Confirm floors (see Thresholds.confirm): the highest floor, on this grid, at which out-of-fold scores would
# have turned at most this share of the rules' true emergency hits into a question instead of the 999 answer.
# A questioned true hit still gets crisis help (the check-in's yes is one tap from the suicide answer); a
# look-alike given 999 teaches staff to ignore flags. At 0.5% the floor fell off a cliff as batches grew: on 38
# batches out of fold, 3 of 585 true suicide hits (0.51%) would be questioned at 0.01, so the floor fell to
# 0.005 and questioned 58 of 129 look-alike hits instead of 93 at 0.04 (5 true hits, 0.85%).
# With 96 batches both floors sat at the top of a grid that ended at 0.05, well inside the budget (12 of 3,180 true
# hits questioned out of fold). Extended to 0.3, the same budget chose 0.1 for suicide and 0.15 for danger: out of
# fold, 27 of 3,180 true hits questioned and 403 of 503 look-alike hits instead of 365; on blind sets 37-47 (never
# trained on, judged by a rule written before scoring) look-alikes given 999 fell from 23 to 15 of 539, with the same
# labels on every crisis message (asked 49 -> 57 look-alikes instead).
CONFIRM_GRID = (0.0, 0.005, 0.01, 0.015, 0.02, 0.025, 0.03, 0.04, 0.05, 0.075, 0.1, 0.125, 0.15, 0.2, 0.25, 0.3)
CONFIRM_BUDGET = 0.01
# A check-in asked of an ordinary message is a cost too ("evening all" was asked "are you thinking about suicide?").
# The weak threshold chosen by F(WEAK_BETA) slides down as crisis messages are added (with batch 73, in Welsh, the
# suicide one fell from 0.30 to 0.25, and the assistant's held-out questions taken by the check rose from 74 to 81 of
# 1,355, against a gate of 6%), so it is raised, where needed, until at most this share of the assistant's own
# everyday messages, out of fold, would be asked that question. Out of fold on 75 batches (7,577 crisis messages;
# 1,958 everyday ones): no budget, suicide 0.251, crisis help 7,323, everyday messages asked 66; 3%, the same;
# 2.5%, 0.266, 7,313, 62; 2%, 0.298, 7,285, 54; 1.5%, 0.326, 7,263, 44.
WEAK_EVERYDAY_BUDGET = 0.02
# Below the check-in, a faint sign adds one quiet line of 24/7 help to an answer that gives no number (Verdict.faint):
# no question, no 999 answer, no flag. The lowest threshold at which at most this share of the assistant's own
# everyday messages that are not asked would get the line. Out of fold on 94 batches, 315 of 12,614 crisis messages get
# neither a label nor a check-in. 5% chose 0.204, which gives the line to 122 of those 315 (and to 92 of the 1,894
# everyday messages not asked, 128 of 4,445 quiet look-alikes, 42 of 740 quiet ordinary messages in the batches); 0.15
# would have reached 179 of the 315 for 232 of those everyday messages, 0.25 only 75 for 39.
FAINT_EVERYDAY_BUDGET = 0.05
# Students often tell and ask in one message ("i dont want to be here. how do i make a formal report"). A bag of words
# adds up what it reads, and the question's everyday words, learnt as signs of an ordinary message, pulled such a
# message far under every threshold. So the model also learns from two-part messages made from its own data: this
# share of the labelled messages (crisis, look-alike and ambiguous alike, so that a second part teaches nothing about
# risk by itself) each joined to one of the assistant's everyday messages, in either order, with the labelled message's
# labels. Only messages read whole (WINDOW words or fewer) are made. They are made from the training data of each
# model, so a fold's model has read no part of the messages it is judged on.
COMPOSITE_SHARE = 0.3

@dataclass(frozen=True)
class Item:
    """One training message: its canonical words, the model labels it should get, and where it came from."""

    words: tuple[str, ...]
    cats: frozenset[str]
    source: str  # "labelled" or a batch file name
    group: str  # crisis, lookalike, ambiguous, benign


def training_files() -> list[Path]:
    """Every file the model learns from (never the held-out set or the blind batches)."""
    return [LABELLED_SET, *sorted(BATCHES.glob("*.yml"))]


# The topic files only, not the breadth rounds (data/rasa/nlu/breadth*.yml): those are mostly lower-case SMS speak,
# and as negatives they taught the model that an informal message is an ordinary one. Out of fold on the training
# batches, with all three rounds as negatives 2,369 of 2,641 crisis messages got help and 65 of 1,025 look-alikes
# the 999 answer; with none of them, 2,403 and 59.
EVERYDAY_LEFT_OUT = "breadth"


def everyday_files() -> list[Path]:
    """The assistant's own training data by topic, whose ordinary messages are negatives."""
    return sorted(p for p in EVERYDAY.glob("*.yml") if not p.stem.startswith(EVERYDAY_LEFT_OUT))


def everyday_texts(files: Sequence[Path], flagged: Callable[[str], bool]) -> list[str]:
    """Ordinary messages from the listed intents, without entity markup, leaving out any the rules flag."""
    texts = []
    for path in files:
        for block in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("nlu", []):
            if block.get("intent") not in EVERYDAY_INTENTS:
                continue
            for line in str(block.get("examples", "")).splitlines():
                text = _ENTITY_MARKUP.sub(r"\1", line.strip().removeprefix("- ")).strip()
                if text and not flagged(text):
                    texts.append(text)
    return texts


def load_items(
    words: Callable[[str], list[str]], files: Sequence[Path] | None = None,
    everyday: Sequence[str] = (),
) -> list[Item]:
    """Read the training files (and the everyday messages) into items, normalised like live messages."""
    items = [Item(model_words(words(text)), frozenset(), "everyday", "benign") for text in everyday]
    for path in files or training_files():
        for raw in yaml.safe_load(path.read_text(encoding="utf-8")):
            labels = frozenset(raw.get("labels") or [])
            group = raw.get("group") or ("crisis" if labels else "benign")
            cats = set(labels)
            if group == "ambiguous":
                ask = raw.get("ask")
                if ask not in ASK_LABELS.values():
                    raise ValueError(f"{path}: ambiguous item needs ask: suicide or ask: safety")
                cats.add(next(k for k, v in ASK_LABELS.items() if v == ask))
            source = "labelled" if path == LABELLED_SET else path.stem
            items.append(Item(model_words(words(raw["text"])), frozenset(cats), source, group))
    return items


def training_items(rules: Any) -> list[Item]:
    """Everything the model learns from, read with the rules' normaliser (a RiskClassifier)."""
    everyday = everyday_texts(everyday_files(), lambda text: rules.classify(text).flagged)
    return load_items(rules.words, training_files(), everyday)


def data_fingerprint(seed: int = SEED) -> str:
    """The fingerprint of a model trained now from the default data."""
    return fingerprint([*training_files(), *everyday_files()], seed)


def fingerprint(files: Sequence[Path], seed: int) -> str:
    """Identifies the data, settings and code a model was trained from (a stale model is retrained)."""
    digest = hashlib.sha256()
    here = Path(__file__).resolve().parent
    data = ROOT / "data" / "safety"
    for path in [*files, here / "train.py", here / "model.py", here / "normalise.py", data / "patterns.yml",
                 data / "typos.yml"]:
        digest.update(path.read_bytes() if path.exists() else b"")
    digest.update(json.dumps([MODEL_CONFIG, EPOCHS, DROPOUT, BATCH_SIZE, seed, sorted(EVERYDAY_INTENTS)]).encode())
    return digest.hexdigest()[:16]


# The four-fold cross-validation trains five models where the final one is one: about three quarters of a cold
# training. Its outcome (the thresholds and confirm floors, before the final model spares the labelled set's
# emergencies) depends only on the data, the code and the libraries, so it is kept in this file with a key made of all
# three, and `python -m safety.train` chooses the thresholds again only when the key differs (or with
# --cross-validate). A change to any training file, any file of the check, or a library's version gives a new key.
CROSS_VALIDATED = ROOT / "data" / "safety" / "cross_validated.json"
CROSS_VALIDATION_LIBRARIES = ("spacy", "thinc", "numpy", "scipy", "scikit-learn", "rapidfuzz", "PyYAML")


def _shown(path: Path | None) -> str:
    """A path as the repository names it (or whole, outside it)."""
    return "" if path is None else path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else str(path)


def cross_validation_key(files: Sequence[Path], seed: int, epochs: int = EPOCHS) -> str:
    """What the out-of-fold thresholds depend on: the training data, every file of the check (code, patterns, typos,
    lists), the settings, the seed and the versions of the libraries that compute them."""
    from importlib.metadata import PackageNotFoundError, version

    digest = hashlib.sha256()
    here = Path(__file__).resolve().parent
    check = [*sorted(here.glob("*.py")), *sorted((ROOT / "data" / "safety").glob("*.yml"))]
    for path in [*files, *check]:
        digest.update(f"{_shown(path)}\0".encode())
        digest.update(path.read_bytes())
    versions: list[str | None] = []
    for library in CROSS_VALIDATION_LIBRARIES:
        try:
            versions.append(version(library))
        except PackageNotFoundError:
            versions.append(None)
    digest.update(json.dumps([MODEL_CONFIG, epochs, DROPOUT, BATCH_SIZE, CV_FOLDS, COMPOSITE_SHARE, seed,
                              sorted(EVERYDAY_INTENTS), versions]).encode())
    return digest.hexdigest()


def cross_validated(key: str, path: Path = CROSS_VALIDATED) -> Thresholds | None:
    """The thresholds kept for this key, or None (no file, another key, or a file that does not read)."""
    try:
        kept = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(kept, dict) or kept.get("key") != key:
            return None
        return Thresholds.from_json(kept["thresholds"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def keep_cross_validated(key: str, thresholds: Thresholds, path: Path = CROSS_VALIDATED) -> None:
    """Keep the out-of-fold thresholds for this key (see CROSS_VALIDATED)."""
    about = ("Thresholds and confirm floors chosen by python -m safety.train's cross-validation for the training data, "
             "code and libraries whose SHA-256 is the key; reused while the key matches. Written by training: "
             "commit it with the change that trained it.")
    kept = {"about": about, "key": key, "thresholds": thresholds.to_json()}
    path.write_text(json.dumps(kept, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def with_composites(items: Sequence[Item], seed: int = SEED, share: float | None = None) -> list[Item]:
    """The items and, for `share` of the labelled ones, a two-part message: it joined to an everyday message (see
    COMPOSITE_SHARE). Deterministic for a seed; the new items keep the labelled message's source, cats and group."""
    share = COMPOSITE_SHARE if share is None else share
    everyday = [item.words for item in items if item.source == "everyday" and item.words]
    if not everyday or share <= 0:
        return list(items)
    draw = random.Random(seed)  # noqa: S311 - reproducible training data, not a secret
    made = []
    for item in items:
        if item.source == "everyday" or not item.words or draw.random() >= share:
            continue
        other = draw.choice(everyday)
        first, second = (item.words, other) if draw.random() < 0.5 else (other, item.words)
        joined = (*first, ".", *second) if first[-1] not in SENTENCE_END else (*first, *second)
        if len(joined) <= WINDOW:
            made.append(Item(model_words(joined), item.cats, item.source, item.group))
    return [*items, *made]


def fit(items: Sequence[Item], seed: int = SEED, epochs: int = EPOCHS) -> Any:
    """Train a spaCy pipeline (blank English, no vectors) on the items; deterministic for a seed."""
    from spacy.tokens import Doc
    from spacy.training import Example
    from spacy.util import fix_random_seed, minibatch

    fix_random_seed(seed)
    nlp = blank_pipeline()
    examples = []
    for item in items:
        doc = Doc(nlp.vocab, words=list(item.words) or ["."])
        examples.append(Example.from_dict(doc, {"cats": {label: float(label in item.cats) for label in MODEL_LABELS}}))
    optimizer = nlp.initialize(lambda: examples)
    order = random.Random(seed)  # noqa: S311 - a reproducible shuffle, not a secret
    for _ in range(epochs):
        shuffled = list(examples)
        order.shuffle(shuffled)
        for batch in minibatch(shuffled, size=BATCH_SIZE):
            nlp.update(batch, sgd=optimizer, drop=DROPOUT)
    return nlp


def fit_letters(items: Sequence[Item]) -> LetterModel:
    """The letter model: one logistic regression per model label over each whole message's letter runs."""
    import numpy as np
    from scipy.sparse import csr_matrix
    from sklearn.linear_model import LogisticRegression

    vectors = [letter_vector(LetterModel.text(item.words)) for item in items]
    features = csr_matrix(
        (np.concatenate([v for _, v in vectors]), np.concatenate([i for i, _ in vectors]),
         np.cumsum([0] + [len(i) for i, _ in vectors])),
        shape=(len(items), 1 << LETTER_BITS),
    )
    coef = np.zeros((len(MODEL_LABELS), 1 << LETTER_BITS), dtype=np.float32)
    intercept = np.zeros(len(MODEL_LABELS))
    for k, label in enumerate(MODEL_LABELS):
        wanted = np.array([label in item.cats for item in items])
        if wanted.all() or not wanted.any():  # a tiny set without both kinds: a constant, near-certain score
            intercept[k] = 10.0 if wanted.all() else -10.0
            continue
        regression = LogisticRegression(C=LETTER_C, max_iter=2000).fit(features, wanted)
        coef[k], intercept[k] = regression.coef_[0], regression.intercept_[0]
    return LetterModel(coef, intercept)


def predict(nlp: Any, items: Sequence[Item], letters: LetterModel | None = None) -> list[dict[str, float]]:
    """Scores per item from a freshly trained pipeline (and letter model), read as the service reads a message (by
    sentence when it is long: see model.windows), so that thresholds and floors are chosen on the scores the
    service will see."""
    from spacy.tokens import Doc

    textcat = nlp.get_pipe("textcat_multilabel")
    parts = [(n, part) for n, item in enumerate(items) for part in windows(list(item.words) or ["."])]
    best: list[dict[str, float]] = [dict.fromkeys(textcat.labels, 0.0) for _ in items]
    for start in range(0, len(parts), 64):
        chunk = parts[start : start + 64]
        scores = textcat.predict([Doc(nlp.vocab, words=part) for _, part in chunk])
        if letters is not None:
            scores = mix(scores, letters.predict([part for _, part in chunk]))
        for (n, _), row in zip(chunk, scores, strict=True):
            for k, label in enumerate(textcat.labels):
                best[n][label] = max(best[n][label], float(row[k]))
    return best


def folds(items: Sequence[Item], count: int = CV_FOLDS, seed: int = SEED) -> list[list[int]]:
    """Cross-validation folds: every batch of new phrasings lies whole in one fold (batch k in fold k mod count),
    so a fold's model has read none of its writer's phrasings, near-twins included; the labelled set and the
    everyday messages are dealt across the folds."""
    batches = sorted({i.source for i in items if i.source not in ("labelled", "everyday")})
    if len(batches) < count:
        batches = []  # too few batches (a small test set): plain random folds
    out: list[list[int]] = [[] for _ in range(count)]
    labelled = [n for n, i in enumerate(items) if i.source in ("labelled", "everyday") or not batches]
    random.Random(seed).shuffle(labelled)  # noqa: S311 - reproducible folds
    for position, n in enumerate(labelled):
        out[position % count].append(n)
    fold_of = {name: k % count for k, name in enumerate(batches)}
    for n, item in enumerate(items):
        if item.source in fold_of:
            out[fold_of[item.source]].append(n)
    return out


def out_of_fold_scores(items: Sequence[Item], seed: int = SEED, epochs: int = EPOCHS) -> list[dict[str, float]]:
    """Each item's scores from a model trained without its fold."""
    scores: list[dict[str, float]] = [{} for _ in items]
    for fold in folds(items, seed=seed):
        held = set(fold)
        kept = [i for n, i in enumerate(items) if n not in held]
        kept = with_composites(kept, seed=seed)
        nlp, letters = fit(kept, seed=seed, epochs=epochs), fit_letters(kept)
        for n, row in zip(fold, predict(nlp, [items[n] for n in fold], letters), strict=True):
            scores[n] = row
    return scores


def _best_threshold(scores: Sequence[float], positive: Sequence[bool], beta: float, floor: float,
                    tolerance: float = 0.0) -> float:
    """The threshold that maximises F(beta) on these scores, or the lowest whose F(beta) is within `tolerance` (a
    share of the best) of it: ties, and near-ties, keep the lower threshold, since a missed crisis costs more."""
    candidates = sorted({round(s, 3) for s in scores if s >= floor} | {floor})
    measured = []
    total_positive = sum(positive)
    for t in candidates:
        tp = sum(1 for s, p in zip(scores, positive, strict=True) if s >= t and p)
        raised = sum(1 for s in scores if s >= t)
        if not raised or not total_positive:
            continue
        precision, recall = tp / raised, tp / total_positive
        measured.append((t, (1 + beta**2) * precision * recall / (beta**2 * precision + recall) if tp else 0.0))
    if not measured:
        return max(1.0, floor)
    best_f = max(f for _, f in measured)
    return max(next(t for t, f in measured if f >= best_f * (1 - tolerance) - 1e-9), floor)


def _within_budget(ordinary: Sequence[float], budget: float) -> float:
    """The lowest threshold at which at most `budget` of these ordinary messages' scores reach it (0 with none)."""
    if not ordinary:
        return 0.0
    ranked = sorted(ordinary, reverse=True)
    allowed = int(budget * len(ranked))  # this many may reach the threshold
    if allowed >= len(ranked):
        return 0.0
    return ranked[allowed] + 1e-6  # just above the first one over the budget


def choose_thresholds(items: Sequence[Item], scores: Sequence[dict[str, float]]) -> Thresholds:
    """Firing and weak thresholds per label from out-of-fold scores."""
    fire, weak, fire_long = {}, {}, {}
    for label in MODEL_LABELS:
        column = [row[label] for row in scores]
        positive = [label in i.cats for i in items]
        # A crisis message of another label is not a false alarm for this one: the danger answer to someone
        # raped last night, or the suicide answer to someone in danger now, still answers a crisis. Counted as
        # false alarms, they set the threshold by how many crises of other kinds the batches happen to hold.
        judged = [n for n, item in enumerate(items) if label in item.cats or not item.cats & set(RISK_LABELS)]
        judged_scores, judged_positive = [column[n] for n in judged], [positive[n] for n in judged]
        beta = FIRE_BETA_FOR.get(label, FIRE_BETA)
        fire[label] = _best_threshold(judged_scores, judged_positive, beta, 0.1, FIRE_TOLERANCE)
        if label in FIRE_BETA_FOR:
            fire_long[label] = _best_threshold(judged_scores, judged_positive, FIRE_BETA, 0.1, FIRE_TOLERANCE)
        if label in CHECK_IN_FOR:
            # Below firing, a weak score asks the question: it should catch the label's messages and the
            # ambiguous messages that need the same question.
            ask = next(k for k, v in ASK_LABELS.items() if v == CHECK_IN_FOR[label])
            needs = [label in i.cats or ask in i.cats for i in items]
            combined = [max(row[label], row[ask]) for row in scores]
            ordinary = [c for c, item in zip(combined, items, strict=True) if item.source == "everyday"]
            weak[label] = min(fire[label], max(_best_threshold(combined, needs, WEAK_BETA, WEAK_FLOOR),
                                               _within_budget(ordinary, WEAK_EVERYDAY_BUDGET)))
        else:
            weak[label] = min(fire[label], _best_threshold(column, positive, WEAK_BETA, WEAK_FLOOR))
    return Thresholds(fire=fire, weak=weak, fire_long=fire_long, faint=choose_faint(items, scores, weak))


def choose_faint(items: Sequence[Item], scores: Sequence[dict[str, float]], weak: dict[str, float]) -> float:
    """The faint sign's threshold: within FAINT_EVERYDAY_BUDGET of the everyday messages the check-in does not ask,
    and never above the check-in itself."""
    readings = {label: next(k for k, v in ASK_LABELS.items() if v == kind) for label, kind in CHECK_IN_FOR.items()}
    quiet = []
    for item, row in zip(items, scores, strict=True):
        signals = {label: max(row[label], row[ask]) for label, ask in readings.items()}
        if item.source == "everyday" and all(signals[label] < weak[label] for label in signals):
            quiet.append(max(signals.values()))
    chosen = math.ceil(max(_within_budget(quiet, FAINT_EVERYDAY_BUDGET), WEAK_FLOOR) * 1000) / 1000  # never under
    return min(chosen, *(weak[label] for label in readings))


def rule_labels(rules: Any, items: Sequence[Item]) -> list[frozenset[str]]:
    """The labels the rules raise for each training item (read from its canonical words)."""
    return [rules.classify(" ".join(item.words)).labels for item in items]


def choose_confirm_floors(items: Sequence[Item], scores: Sequence[dict[str, float]],
                          ruled: Sequence[frozenset[str]]) -> dict[str, float]:
    """Per check-in label, how low the model's out-of-fold score must be before a rule hit is asked about.

    ``ruled`` holds the labels the rules raise for each item. Only the rules' true hits count against the
    budget: a floor is kept only if it would have questioned almost none of the real emergencies.
    """
    floors = {}
    for label, kind in CHECK_IN_FOR.items():
        ask = next(k for k, v in ASK_LABELS.items() if v == kind)
        true = [max(row[label], row[ask]) for item, row, hit in zip(items, scores, ruled, strict=True)
                if label in hit and label in item.cats]
        if not true:  # no evidence of what the floor would cost: never ask instead of answering
            floors[label] = 0.0
            continue
        allowed = CONFIRM_BUDGET * len(true)
        floors[label] = max((f for f in CONFIRM_GRID if sum(1 for s in true if s < f) <= allowed), default=0.0)
    return floors


def spare_labelled_emergencies(model: RiskModel, items: Sequence[Item], ruled: Sequence[frozenset[str]],
                                floors: dict[str, float]) -> dict[str, float]:
    """Each confirm floor lowered along CONFIRM_GRID until the final model would ask about none of the labelled
    set's own emergencies that the rules catch: every one of them keeps its emergency answer (the labelled set's
    recall for the two highest labels stays 100%), whatever the out-of-fold budget allowed. ``ruled`` holds the
    labels the rules raise for each item."""
    lowered = dict(floors)
    for item, hit in zip(items, ruled, strict=True):
        if item.source != "labelled":
            continue
        for label, kind in CHECK_IN_FOR.items():
            if label not in hit or label not in item.cats or not lowered.get(label):
                continue
            scores = model.scores(item.words)
            reading = max(scores[label], scores[next(k for k, v in ASK_LABELS.items() if v == kind)])
            while lowered[label] > 0 and reading < lowered[label]:
                lowered[label] = max((f for f in CONFIRM_GRID if f < lowered[label]), default=0.0)
    return lowered


def train(out: Path, seed: int = SEED, files: Sequence[Path] | None = None, log: Callable[[str], None] = print,
          *, cross_validate: bool = False, kept: Path | None = None, epochs: int = EPOCHS) -> Path:
    """Cross-validate the thresholds, train the final model on everything, and save both to `out`. With `kept` (a
    file such as CROSS_VALIDATED), thresholds kept there for this very data, code and libraries are reused unless
    `cross_validate`, and thresholds chosen are kept there."""
    import spacy

    from safety.risk import get_classifier

    files = list(files or training_files())
    rules = get_classifier()
    started = time.perf_counter()
    everyday = everyday_texts(everyday_files(), lambda text: rules.classify(text).flagged)
    items = load_items(rules.words, files, everyday)
    log(f"training data: {len(items)} messages ({len(everyday)} everyday ones) from {len(files)} files and "
        f"{EVERYDAY.relative_to(ROOT)}")
    key = cross_validation_key([*files, *everyday_files()], seed, epochs)
    reused = None if cross_validate or kept is None else cross_validated(key, kept)
    ruled = rule_labels(rules, items)
    if reused is not None:
        thresholds = reused
        floors = thresholds.confirm
        how = f"as cross-validated before for this data, code and libraries ({_shown(kept)})"
    else:
        scores = out_of_fold_scores(items, seed=seed, epochs=epochs)
        thresholds = choose_thresholds(items, scores)
        floors = choose_confirm_floors(items, scores, ruled)
        thresholds = dataclasses.replace(thresholds, confirm=floors)
        if kept is not None:
            keep_cross_validated(key, thresholds, kept)
        how = f"by {CV_FOLDS}-fold cross-validation ({time.perf_counter() - started:.0f} s)"
    log(f"thresholds {how}: "
        + ", ".join(f"{k} {thresholds.fire[k]:.2f}/{thresholds.weak[k]:.2f}" for k in MODEL_LABELS)
        + "; rule hits asked about below " + ", ".join(f"{k} {v:.3f}" for k, v in thresholds.confirm.items())
        + "; long messages fire at " + ", ".join(f"{k} {v:.2f}" for k, v in thresholds.fire_long.items())
        + f"; a faint sign from {thresholds.faint}")
    learnt = with_composites(items, seed=seed)
    nlp, letters = fit(learnt, seed=seed, epochs=epochs), fit_letters(learnt)
    spared = spare_labelled_emergencies(RiskModel(nlp, thresholds, letters=letters), items, ruled, floors)
    if spared != floors:
        log(f"confirm floors lowered so that no emergency of the labelled set is asked about: {spared}")
        thresholds = dataclasses.replace(thresholds, confirm=spared)
    out.mkdir(parents=True, exist_ok=True)
    letters.save(out / LETTERS_FILE)
    # Only the classifier's own weights and labels are saved: the pipeline around it is rebuilt in code on
    # loading, so a model trained under spaCy 3.8 (service) loads under 3.4 (assistant) and back.
    nlp.get_pipe(TEXTCAT).to_disk(out / TEXTCAT, exclude=["vocab"])
    info = {
        "format": FORMAT, "seed": seed, "fingerprint": fingerprint([*files, *everyday_files()], seed),
        "spacy": spacy.__version__,
        "examples": len(items), "thresholds": thresholds.to_json(),
        "probes": RiskModel(nlp, thresholds, letters=letters).probe_scores(),
    }
    (out / SETTINGS_FILE).write_text(json.dumps(info, indent=2, sort_keys=True), encoding="utf-8")
    log(f"model saved to {out} in {time.perf_counter() - started:.0f} s")
    return out


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: train into --out (default models/safety)."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=DEFAULT_MODEL_DIR, help="where to save the model")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--cross-validate", action="store_true",
                        help=f"choose the thresholds again even if {_shown(CROSS_VALIDATED)} holds them for this data")
    args = parser.parse_args(argv)
    # Only the shipped seed's thresholds are kept: another seed (an experiment) is cross-validated and kept nowhere.
    train(args.out, seed=args.seed, cross_validate=args.cross_validate,
          kept=CROSS_VALIDATED if args.seed == SEED else None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
