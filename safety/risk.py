"""The risk classifier: curated patterns find candidate hits, then context drops the hits that are not risk."""

from __future__ import annotations

import os
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from safety.patterns import CONTEXT_CUES, TIME_CUES, MatcherPattern, PatternSet, Rule, cue_key, load_pattern_set

PATTERNS_ENV = "SAFETY_PATTERNS_PATH"
DEFAULT_PATTERNS = Path(__file__).resolve().parent.parent / "data" / "safety" / "patterns.yml"

Span = tuple[int, int]
# Words too common to be a useful anchor for the pattern index (speed only; matching is unaffected).
_COMMON_WORDS = frozenset(
    "i me my you to is am are a an the and not do it of in on at he she they was have be will would so that "
    "this".split()
) | {".", "!", "?", ";"}


@dataclass(frozen=True)
class RiskAssessment:
    """What the classifier found: labels, the highest severity, and rule ids (never the message text)."""

    labels: frozenset[str]
    severity: int
    rule_ids: tuple[str, ...]
    suppressed: tuple[str, ...] = ()

    @property
    def flagged(self) -> bool:
        """True when at least one risk label was raised."""
        return bool(self.labels)


NO_RISK = RiskAssessment(labels=frozenset(), severity=0, rule_ids=())


class RiskClassifier:
    """Deterministic risk check over curated patterns, run on every inbound message."""

    def __init__(self, pattern_set: PatternSet) -> None:
        # Imported here so that importing the package stays cheap for code that only needs responses.
        import spacy
        from spacy.tokens import Doc

        self._set = pattern_set
        self._nlp = spacy.blank("en")
        self._doc = Doc
        self._matcher = _AnchoredMatcher(self._nlp.vocab, pattern_set.compiled)
        strings = self._nlp.vocab.strings
        self._cue_kinds = {strings.add(cue_key(kind)): kind for kind in CONTEXT_CUES}
        self._time_kinds = {strings.add(cue_key(kind)): kind for kind in TIME_CUES}

    @classmethod
    def load(cls, path: str | os.PathLike[str] | None = None) -> RiskClassifier:
        """Build a classifier from a pattern file: the given path, else $SAFETY_PATTERNS_PATH, else the default."""
        chosen = path or os.environ.get(PATTERNS_ENV) or DEFAULT_PATTERNS
        return cls(load_pattern_set(Path(chosen)))

    @property
    def labels(self) -> tuple[str, ...]:
        """Every label this classifier can raise, most severe first."""
        return tuple(sorted(self._set.severities, key=self._set.severities.__getitem__, reverse=True))

    def severity(self, label: str) -> int:
        """Severity of one label (higher is more urgent)."""
        return self._set.severities[label]

    def classify(self, text: str) -> RiskAssessment:
        """Assess one message."""
        words = self._set.normaliser.words(text)
        if not words:
            return NO_RISK
        if words[-1] not in self._set.sentence_breaks:
            words.append(".")  # the end of a message ends a sentence, so patterns can match it as $END
        doc = self._doc(self._nlp.vocab, words=words)
        hits: dict[str, list[Span]] = defaultdict(list)
        cues: dict[str, list[Span]] = defaultdict(list)
        times: list[tuple[int, int, str]] = []
        strings = self._nlp.vocab.strings
        for match_id, start, end in self._matcher(doc, words):
            if match_id in self._cue_kinds:
                cues[self._cue_kinds[match_id]].append((start, end))
            elif match_id in self._time_kinds:
                times.append((start, end, self._time_kinds[match_id]))
            else:
                hits[strings[match_id]].append((start, end))
        if not hits:
            return NO_RISK
        context = _Context(self._set, words, cues, times)
        accepted: list[Rule] = []
        suppressed: list[str] = []
        for rule_id in sorted(hits):
            rule = self._set.rules[rule_id]
            reasons = [context.reason_to_drop(rule, span) for span in hits[rule_id]]
            if None in reasons:
                accepted.append(rule)
            else:
                suppressed.append(f"{rule_id}:{reasons[0]}")
        labels = frozenset(rule.label for rule in accepted)
        return RiskAssessment(
            labels=labels,
            severity=max((self._set.severities[label] for label in labels), default=0),
            rule_ids=tuple(rule.id for rule in accepted),
            suppressed=tuple(suppressed),
        )


class _AnchoredMatcher:
    """spaCy Matchers grouped by an anchor word each pattern requires; a message runs only the groups
    whose anchor words it contains, so the cost follows the message, not the size of the pattern file."""

    def __init__(self, vocab: Any, compiled: dict[str, list[MatcherPattern]]) -> None:
        from spacy.matcher import Matcher

        grouped: dict[frozenset[str], dict[str, list[MatcherPattern]]] = defaultdict(lambda: defaultdict(list))
        for key, patterns in compiled.items():
            for pattern in patterns:
                grouped[_anchor(pattern)][key].append(pattern)
        self._groups = []
        self._by_word: dict[str, list[int]] = defaultdict(list)
        for index, (anchor, by_key) in enumerate(grouped.items()):
            matcher = Matcher(vocab, validate=True)
            for key, patterns in by_key.items():
                matcher.add(key, patterns)
            self._groups.append(matcher)
            for word in anchor:
                self._by_word[word].append(index)

    def __call__(self, doc: Any, words: list[str]) -> list[tuple[int, int, int]]:
        """All (match_id, start, end) of every pattern in the message."""
        groups = {index for word in set(words) for index in self._by_word.get(word, ())}
        return [match for index in groups for match in self._groups[index](doc)]


def _anchor(pattern: MatcherPattern) -> frozenset[str]:
    """The most selective set of words one required token of the pattern must be."""
    options = []
    for spec in pattern:
        lower = spec.get("LOWER")
        if "OP" in spec or lower is None or (isinstance(lower, dict) and "IN" not in lower):
            continue
        words = frozenset([lower] if isinstance(lower, str) else lower["IN"])
        options.append((len(words & _COMMON_WORDS) > 0, len(words), sorted(words), words))
    return min(options)[-1]


class _Context:
    """Clause and sentence positions of one message, and the cues found in it."""

    def __init__(
        self,
        pattern_set: PatternSet,
        words: list[str],
        cues: dict[str, list[Span]],
        times: list[tuple[int, int, str]],
    ) -> None:
        self.set = pattern_set
        self.words = words
        self.cues = cues
        self.times = times
        self.sentence: list[int] = []
        self.clause: list[int] = []
        sentence = clause = 0
        for word in words:
            self.sentence.append(sentence)
            self.clause.append(clause)
            if word in pattern_set.sentence_breaks:
                sentence += 1
            if word in pattern_set.clause_breaks:
                clause += 1

    def reason_to_drop(self, rule: Rule, span: Span) -> str | None:
        """Why this hit is not risk (idiom, negation, framing, time), or None when it stands."""
        if self._idiom(span):
            return "idiom"
        if self._negated(span):
            return "negation"
        if not rule.ignore_framing and self._framed(span):
            return "framing"
        if rule.time == "recent" and self._nearest_dated_time(span) != "recent":
            return "not_recent"
        if rule.time == "not_past" and self._past_in_clause(span):
            return "past"
        return None

    def _idiom(self, span: Span) -> bool:
        start, end = span
        return any(s < end and start < e for s, e in self.cues["idiom"])

    def _negated(self, span: Span) -> bool:
        start = span[0]
        for cue_start, cue_end in self.cues["negation"]:
            gap = self.words[cue_end:start]
            if (
                cue_end <= start
                and len(gap) <= self.set.negation_window
                and self.clause[cue_start] == self.clause[start]
                and all(word in self.set.negation_may_skip for word in gap)
            ):
                return True
        return False

    def _framed(self, span: Span) -> bool:
        start, end = span
        sentence = self.sentence[start]
        if any(kind != "past" and self.sentence[s] == sentence for s, _, kind in self.times):
            return False  # a concrete time ("last night", "right now") means a real event, not a what-if
        near = start - self.set.first_person_window
        return any(
            cue_end <= start
            and self.sentence[cue_start] == sentence
            and not self._first_person(max(cue_end, near), end)
            for cue_start, cue_end in self.cues["framing"]
        )

    def _first_person(self, start: int, end: int) -> bool:
        # "tells me", "asked me": the sender is only the listener there.
        listener = {i for s, e in self.cues["speech"] for i in range(s, e)}
        return any(self.words[i] in self.set.first_person and i not in listener for i in range(start, end))

    def _past_in_clause(self, span: Span) -> bool:
        start, end = span
        clauses = {self.clause[start], self.clause[end - 1]}
        return any(kind == "past" and self.clause[s] in clauses for s, _, kind in self.times)

    def _nearest_dated_time(self, span: Span) -> str | None:
        start, end = span
        best: tuple[int, int, str] | None = None
        for s, e, kind in self.times:
            distance = max(s - end, start - e, 0)
            if kind == "now" or distance > self.set.time_window:
                continue
            rank = (distance, 0 if kind == "recent" else 1, kind)
            if best is None or rank < best:
                best = rank
        return best[2] if best else None


@lru_cache(maxsize=1)
def get_classifier() -> RiskClassifier:
    """The process-wide classifier, loaded once on first use."""
    return RiskClassifier.load()
