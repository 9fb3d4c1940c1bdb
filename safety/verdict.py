"""One safety verdict per message, computed once at the front door and passed to the assistant with the message.

The verdict has layers: the rules (precise and explainable) decide first; beneath them a statistical model
catches phrasings nobody wrote down; when the signals are ambiguous the assistant asks the student directly
(a check-in) instead of guessing. If the check itself breaks, the message is flagged (the fail-safe layer).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import groupby
from typing import Any

from safety.model import (
    ASK_LABELS,
    CHECK_IN_FOR,
    RISK_LABELS,
    SENTENCE_END,
    WINDOW,
    ModelMissing,
    RiskModel,
    Thresholds,
    is_punctuation,
    model_words,
)
from safety.responses import CHECK_FAILED
from safety.risk import RiskAssessment, RiskClassifier, get_classifier

logger = logging.getLogger(__name__)

RULE, MODEL, CHECK_IN, FAILSAFE = "rule", "model", "check_in", "failsafe"
LAYERS = (RULE, MODEL, CHECK_IN, FAILSAFE)
# Messages up to this many words can have a rule hit turned into a check-in by the confirm floors (every
# labelled and blind message is shorter); longer ones keep the rule's emergency answer.
CONFIRM_MAX_WORDS = 80
CHECK_IN_KINDS = ("suicide", "safety")  # "are you thinking about ending your life?", "are you safe right now?"
METADATA_KEY = "safety"
# Context that drops a rule hit and also stops the model firing that label (see SafetyCheck.combine): negation
# only ("i'm not going to hurt myself"), because a bag of words cannot read "not". Vetoing for time or framing
# too lost real assaults and crises on the batches before training.
VETO_REASONS = frozenset({"negation"})
# Context after which the model may still fire the label (at its firing threshold), but a weak score for it asks
# nothing ("i want to die my hair pink" is not asked about suicide). The rules' idiom contexts are broad ("won't
# leave me alone", "keeps following me", "burned myself with the iron"): as a veto, out of fold on batches 1-57,
# they silenced 13 crisis labels the model had right and spared no look-alike the emergency answer.
DOUBT_REASONS = frozenset({"idiom"})
RECENT_ASSAULT = "recent_sexual_assault"
# A long message is read a sentence at a time, and one sentence lifted out of an ordinary one can score like the start
# of a crisis (a held-out message about extra time in exams for dyslexia scored 0.62 for suicide). Where the model
# alone would give a long message the suicide answer from one sentence it is not sure of, and no other sentence bears
# it out, the student is asked directly whether they are thinking about suicide (as crisis lines train volunteers to
# ask; a yes is one tap from the same answer) and officers see the label as low confidence. Chosen on the held-out
# ordinary messages (tests/safety/everyday_heldout.yml) and, out of fold, on the long crisis messages of the training
# batches: with 67 batches, 0.9 and 0.4 asked instead for 73 of the 111 long ordinary messages given the suicide
# answer, and for 3 of the 67 long suicide messages the model alone caught (0.8 and 0.4: 56 and 3). The danger answer
# is never held back this way: its question ("are you safe right now?") gives 999 but not the rest of the danger
# answer, and out of fold it would have delayed 6 of 64 long danger messages.
# The recent-assault answer opens "I'm so sorry this happened": a long ordinary message (a weekend, a house party, a
# night out) got it from one sentence for 155 of the 601 held-out long ordinary messages. Where the model alone would
# give it from one sentence below 0.8, with no other sentence at 0.3, the student is asked whether they are safe right
# now instead (with 999; officers see the assault reading as low confidence). Chosen the same way: out of fold on 68
# batches with the letter model, 114 of the 118 long assault messages keep the answer (117 without the gate; the
# other 3 are asked), and 60 of the 155 held-out messages are asked instead (0.9 and 0.4 would have asked 12 real ones).
LONG_ASKED: dict[str, tuple[float, float, str]] = {
    # label: (a single sentence scoring this much still answers at once, ... as does one whose label a second
    # sentence scores this much, the question asked instead)
    "suicide_self_harm": (0.9, 0.4, "suicide"),
    "recent_sexual_assault": (0.8, 0.3, "safety"),
}
# A bare acknowledgement ("ok", "fine", "I'm ok": the check-in's `not_asked` list) of at most this many words is
# never asked a check-in on the model's weak sign alone.
BARE_MAX_WORDS = 4
# The words of a bare acknowledgement that say "I'm fine" (not "yes", "no", "thanks" or "hi"): with a sign that it is
# not ("im ok 💔"), the suicide question is asked (see `_fine_but_not`).
FINE_WORDS = frozenset({"ok", "okay", "okk", "okey", "oki", "okie", "k", "kk", "fine", "alright", "good"})
# A faint sign: below the check-in, a suicide or danger reading (the label, or its question's) this strong is neither
# answered nor asked, but the reply carries one quiet line of 24/7 help when it has no number of its own
# (`Verdict.faint`; the service adds it): many crisis messages the check misses sit just under the check-in. The model
# chooses its own threshold when trained (safety.train.choose_faint); this is for a model saved before that.
FAINT_FROM = 0.2
# A short message is read whole, and a question beside a sentence of distress dilutes it: "i dont want to be here.
# how do i make a formal report" reads 0.02 for suicide and 0.13 for its question, while "i dont want to be here"
# alone reads 0.39, enough to be asked about. Reading every sentence for the labels lost (docs/safety.md, "Short
# messages read by sentence too"); so a sentence is read alone only where the whole message found nothing at all, and
# then it can give no more than the quiet line: a sentence that alone would be asked about (its reading at or above
# the check-in's threshold) makes the message faint.
FAINT_SENTENCES_MIN = 2


@dataclass(frozen=True)
class Verdict:
    """What the safety check decided about one message (never the message text)."""

    labels: frozenset[str] = frozenset()  # each gets its safety response now
    severity: int = 0
    layer: str | None = None  # which layer decided; None when nothing was found
    score: float = 0.0  # the deciding layer's confidence, 0 to 1 (a rule is 1)
    check_in: str | None = None  # ask the student directly: one of CHECK_IN_KINDS
    low_confidence: frozenset[str] = frozenset()  # seen only weakly: shown to officers, no emergency reply
    rule_ids: tuple[str, ...] = field(default=())
    faint: str | None = None  # a sign too faint to ask about (one of CHECK_IN_KINDS): a quiet line of 24/7 help

    @property
    def flagged(self) -> bool:
        """True when at least one label gets its safety response."""
        return bool(self.labels)

    def to_metadata(self) -> dict[str, Any]:
        """The verdict as plain JSON, for the assistant and for the stored message."""
        return {
            "labels": sorted(self.labels),
            "severity": self.severity,
            "layer": self.layer,
            "score": round(self.score, 4),
            "check_in": self.check_in,
            "low_confidence": sorted(self.low_confidence),
            "rule_ids": list(self.rule_ids),
            "faint": self.faint,
        }

    @classmethod
    def from_metadata(cls, raw: Any, known_labels: Iterable[str]) -> Verdict | None:
        """A verdict read back from message metadata; None when it is missing or not well formed."""
        if not isinstance(raw, dict):
            return None
        known = set(known_labels) | {CHECK_FAILED}
        labels, low = raw.get("labels"), raw.get("low_confidence", [])
        severity, layer, score = raw.get("severity"), raw.get("layer"), raw.get("score", 0.0)
        check_in, rule_ids, faint = raw.get("check_in"), raw.get("rule_ids", []), raw.get("faint")
        well_formed = (
            isinstance(labels, list)
            and all(isinstance(x, str) and x in known for x in labels)
            and isinstance(low, list)
            and all(isinstance(x, str) and x in known for x in low)
            and isinstance(severity, int)
            and not isinstance(severity, bool)
            and 0 <= severity <= 10
            and (layer is None or layer in LAYERS)
            and isinstance(score, int | float)
            and not isinstance(score, bool)
            and math.isfinite(score)
            and 0 <= score <= 1
            and (check_in is None or check_in in CHECK_IN_KINDS)
            and (faint is None or faint in CHECK_IN_KINDS)
            and isinstance(rule_ids, list)
            and all(isinstance(x, str) and len(x) < 200 for x in rule_ids)
        )
        if not well_formed or not isinstance(labels, list) or not isinstance(severity, int):
            return None
        return cls(
            labels=frozenset(labels),
            severity=severity,
            layer=layer,
            score=float(score),
            check_in=check_in,
            low_confidence=frozenset(low),
            rule_ids=tuple(rule_ids),
            faint=faint,
        )


class SafetyCheck:
    """The layers in order. `assess` never raises: a check that breaks flags the message (fail safe)."""

    def __init__(self, rules: RiskClassifier, model: RiskModel | None = None) -> None:
        self.rules = rules
        self.model = model
        self._replies: tuple[frozenset[str], frozenset[str]] | None = None

    def _check_in_replies(self) -> tuple[frozenset[str], frozenset[str]]:
        """The check-in's bare acknowledgements (`not_asked`, read as the rules read them) and its signs that one is
        not so (`not_fine`), read once. Without the file both are empty: weak signs ask as before, and the model's
        reading decides (asking too often is the safe side)."""
        if self._replies is None:
            try:
                from safety.check_in import get_check_in

                texts = get_check_in()
                self._replies = (frozenset(_spoken(self.rules.words(reply)) for reply in texts.not_asked),
                                 frozenset(sign.replace("'", "") for sign in texts.not_fine))
            except Exception:
                logger.exception("the check-in's lists of replies could not be read")
                self._replies = (frozenset(), frozenset())
        return self._replies

    def _only_an_acknowledgement(self, words: Sequence[str]) -> bool:
        """The message is a bare "ok", "fine" or "I'm ok" (the check-in's `not_asked` list), read as the rules read
        it."""
        return _spoken(words) in self._check_in_replies()[0]

    def _fine_but_not(self, words: Sequence[str]) -> bool:
        """The message is a bare acknowledgement beside a sign that it is not so ("im ok 💔", "fine :(": the check-in's
        `not_fine` list), and nothing else."""
        signs = self._check_in_replies()[1]
        if not signs or len(words) > 2 * BARE_MAX_WORDS:
            return False
        # An emoji is a word; an emoticon is a run of punctuation (":(" reads as ":" and "(").
        runs = ["".join(run) for punctuation, run in groupby(words, key=is_punctuation) if punctuation]
        rest = [word for word in words if not is_punctuation(word) and word not in signs]
        signed = any(word in signs for word in words) or any(sign in run for run in runs for sign in signs)
        return signed and bool(FINE_WORDS & set(rest)) and self._only_an_acknowledgement(rest)

    @property
    def labels(self) -> tuple[str, ...]:
        """Every label the check can raise, most severe first."""
        return self.rules.labels

    def severity(self, label: str) -> int:
        """Severity of one label (higher is more urgent)."""
        return self.rules.severity(label)

    def assess(self, text: str) -> Verdict:
        """The verdict on one message."""
        assessment = self.rules.classify(text)  # never raises; a failure comes back as CHECK_FAILED
        if CHECK_FAILED in assessment.labels:
            return _as_decided(assessment, FAILSAFE)
        scores = self.model_scores(text, assessment.words)
        if scores is None or self.model is None:
            return _as_decided(assessment, RULE) if assessment.flagged else Verdict()
        return self.combine(assessment, scores, self.model.thresholds,
                            sentences=lambda: self._sentence_scores(assessment.words))

    def _sentence_scores(self, words: Sequence[str]) -> list[dict[str, float]]:
        """The model's scores for each sentence of a message it read whole, when it has two or more; none when the
        message was read by sentence already, or when the model breaks (the verdict then stands as it was)."""
        parts = short_sentences(words)
        if len(parts) < FAINT_SENTENCES_MIN or self.model is None:
            return []
        try:
            return self.model.scores_each(parts)
        except Exception as exc:
            logger.error("the safety model failed on a sentence (%s); the whole message's verdict stands",
                         type(exc).__name__)
            return []

    def model_scores(self, text: str, words: Sequence[str] = ()) -> dict[str, float] | None:
        """The model's scores, or None without a model or when it breaks (the rules' verdict then stands).

        `words` are the canonical words when the rules already made them (a message with none is read again).
        """
        if self.model is None:
            return None
        try:
            return self.model.scores(words or self.rules.words(text))
        except Exception as exc:
            logger.error("the safety model failed (%s); this message is checked by the rules alone", type(exc).__name__)
            return None

    def combine(self, assessment: RiskAssessment, scores: Mapping[str, float], thresholds: Thresholds,
                sentences: Callable[[], Sequence[Mapping[str, float]]] | None = None) -> Verdict:
        """Rules first; the model adds the labels they missed; weak signals ask or inform.

        The model never silences a rule: where it is all but sure a rule's emergency label is only a topic
        mentioned ("is there a self-harm group on campus?", "my essay on suicide in Hamlet"), the student is
        asked directly instead (a check-in), and officers still see the label.
        """
        # A label whose pattern matched but was dropped for a negation ("i'm not going to hurt myself") is the rules'
        # considered decision: the model may show it to officers, not fire it. One dropped as an idiom ("dying to
        # know") the model fires only when sure, and never asks about.
        vetoed = self.rules.dropped_labels(assessment, VETO_REASONS)
        doubted = self.rules.dropped_labels(assessment, DOUBT_REASONS)
        if "past" in assessment.times and not assessment.times & {"recent", "now"}:
            vetoed |= {RECENT_ASSAULT}  # "last year", "when i was 12": by definition not a recent assault
        asked = {label: max(scores[label], scores[_ask_label(kind)]) for label, kind in CHECK_IN_FOR.items()}
        # The floors judge whether a hit is only a topic from the whole message's score; in a long message the
        # other words drown the hit ("... i want to kill myself" after 300 words scored 0.01), so there the
        # rule's answer always stands.
        judged = len(assessment.words) <= CONFIRM_MAX_WORDS
        unconfirmed = frozenset(
            label
            for label in assessment.labels
            if judged and label in CHECK_IN_FOR and asked[label] < thresholds.confirm.get(label, 0.0)
        )
        if unconfirmed != assessment.labels:  # with another label answered anyway, nothing is held back
            unconfirmed = frozenset()
        ruled = assessment.labels - unconfirmed
        parts = getattr(scores, "parts", 1)
        fire = {label: thresholds.firing(label, parts) for label in RISK_LABELS}
        fired = {label for label in RISK_LABELS if scores[label] >= fire[label] and label not in vetoed}
        asked_instead = _unsure_in_a_long_message(fired - ruled, scores, parts)
        added = fired - ruled - asked_instead
        labels = frozenset(ruled | added)
        weak = frozenset(
            label
            for label in RISK_LABELS
            if label not in labels
            and (
                label in unconfirmed
                or label in asked_instead
                or (
                    thresholds.weak[label] <= scores[label]
                    and (label in vetoed or scores[label] < fire[label])
                )
            )
        )
        check_in, strength = None, 0.0
        bare = parts == 1 and len(assessment.words) <= BARE_MAX_WORDS \
            and self._only_an_acknowledgement(assessment.words)
        # Each check-in label's reading: its own score (not where the rules dropped it) or its question's.
        signals = {label: max(0.0 if label in vetoed | doubted else scores[label], scores[_ask_label(kind)])
                   for label, kind in CHECK_IN_FOR.items()}
        if not labels & set(CHECK_IN_FOR):  # an emergency answer already asks nothing more
            for label, kind in CHECK_IN_FOR.items():
                signal = signals[label]
                if label in unconfirmed | asked_instead and check_in is None:
                    # the rule, or the model's one sentence, saw it: always ask
                    check_in, strength = kind, max(signal, thresholds.weak[label])
                elif signal >= thresholds.weak[label] and signal > strength and not bare:
                    check_in, strength = kind, signal
            for label in sorted(asked_instead - set(CHECK_IN_FOR)):  # an unsure assault reading asks too
                if check_in is None:
                    check_in, strength = LONG_ASKED[label][2], max(scores[label], thresholds.weak[label])
            if check_in is None and parts == 1 and self._fine_but_not(assessment.words):
                # "I'm fine" said with a sign that it is not: asked, whatever the model reads in it
                check_in, strength = "suicide", thresholds.weak["suicide_self_harm"]
        faint = None
        if not labels and check_in is None and not bare:
            # Too faint to ask about, yet where crisis messages the check misses mostly sit: a quiet line of help.
            label, strongest = max(signals.items(), key=lambda reading: reading[1])
            faint = CHECK_IN_FOR[label] if strongest >= (
                FAINT_FROM if thresholds.faint is None else thresholds.faint) else None
            if faint is None and parts == 1 and sentences is not None:
                faint = _faint_in_a_sentence(sentences(), thresholds, vetoed | doubted)
        severity = max((self.rules.severity(label) for label in labels), default=0)
        if ruled:
            layer, score = RULE, 1.0
        elif added:
            layer, score = MODEL, max(scores[label] for label in added)
        elif check_in:
            layer, score = CHECK_IN, strength
        elif weak:
            layer, score = MODEL, max(scores[label] for label in weak)
        else:
            layer, score = None, 0.0
        return Verdict(
            labels=labels,
            severity=severity,
            layer=layer,
            score=min(1.0, max(0.0, score)),
            check_in=check_in,
            low_confidence=weak,
            rule_ids=assessment.rule_ids,
            faint=faint,
        )


def short_sentences(words: Sequence[str]) -> list[list[str]]:
    """The sentences of a message the model reads whole (WINDOW words or fewer), each with a letter in it and without
    the mark that ends it; a message longer than that is read by sentence already. A lone mark weighs as much as a
    word in a bag of words, and a full stop after a greeting ("hi.") once read like distress."""
    read = model_words(words)  # as the model reads the whole message (a run of marks counts once)
    if len(read) > WINDOW:
        return []
    out: list[list[str]] = [[]]
    for word in read:
        if word in SENTENCE_END:
            out.append([])
        else:
            out[-1].append(word)
    return [sentence for sentence in out if any(ch.isalpha() for word in sentence for ch in word)]


def _faint_in_a_sentence(sentences: Sequence[Mapping[str, float]], thresholds: Thresholds,
                         dropped: Iterable[str]) -> str | None:
    """The check-in kind of the first sentence that, read alone, would be asked about (see FAINT_SENTENCES_MIN); a
    label the rules dropped as an idiom or a negation counts only by its question's reading."""
    dropped = set(dropped)
    for row in sentences:
        for label, kind in CHECK_IN_FOR.items():
            signal = max(0.0 if label in dropped else row[label], row[_ask_label(kind)])
            if signal >= thresholds.weak[label]:
                return kind
    return None


def _spoken(words: Sequence[str]) -> str:
    """The words of a short reply without its punctuation ("ok." and "ok" alike); an emoji stays a word, so "im ok 💔"
    is not a bare "im ok"."""
    return " ".join(word for word in words if not is_punctuation(word))


def _unsure_in_a_long_message(added: set[str], scores: Mapping[str, float], parts: int) -> frozenset[str]:
    """The labels the model alone would fire on a message read in `parts` sentences from one it is not sure of, with
    no other sentence bearing it out: asked about instead (see LONG_ASKED)."""
    if parts < 2:
        return frozenset()
    second = getattr(scores, "second", {})
    return frozenset(label for label in added if label in LONG_ASKED and scores[label] < LONG_ASKED[label][0]
                     and second.get(label, 0.0) < LONG_ASKED[label][1])


def _as_decided(assessment: RiskAssessment, layer: str) -> Verdict:
    """The rules' own verdict, as it stands (the fail-safe label, or the rules without a model)."""
    return Verdict(labels=assessment.labels, severity=assessment.severity, layer=layer, score=1.0,
                   rule_ids=assessment.rule_ids)


def _ask_label(kind: str) -> str:
    """The model label for a check-in question ("suicide" -> "ask_suicide")."""
    return next(name for name, asks in ASK_LABELS.items() if asks == kind)


def load_model(path: str | None = None) -> RiskModel | None:
    """The trained model, or None (with a warning: the rules alone then check messages) when there is none."""
    try:
        return RiskModel.load(path)
    except ModelMissing as exc:
        logger.warning("%s; messages are checked by the rules alone until it is built", exc)
        return None


@lru_cache(maxsize=1)
def get_safety_check() -> SafetyCheck:
    """The process-wide safety check (rules, and the model when one is built), loaded once on first use."""
    return SafetyCheck(get_classifier(), load_model())
