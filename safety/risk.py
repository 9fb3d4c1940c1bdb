"""The risk classifier: curated patterns find candidate hits, then context drops the hits that are not risk."""

from __future__ import annotations

import bisect
import itertools
import logging
import os
import threading
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from safety.normalise import INVISIBLE
from safety.patterns import CONTEXT_CUES, TIME_CUES, MatcherPattern, PatternSet, Rule, cue_key, load_pattern_set
from safety.responses import CHECK_FAILED

logger = logging.getLogger(__name__)
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
    times: frozenset[str] = frozenset()  # kinds of time named in the message: recent, past, now
    # The message's canonical words, so the model reads what the rules read without normalising it again.
    words: tuple[str, ...] = field(default=(), compare=False, repr=False)

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
        self._lock = threading.Lock()
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

    def dropped_labels(self, assessment: RiskAssessment, reasons: frozenset[str]) -> frozenset[str]:
        """Labels whose patterns matched but whose context dropped every hit for one of these reasons
        (idiom, negation, framing, not_recent, past)."""
        rules = self._set.rules
        dropped = {
            rules[rule_id].label
            for entry in assessment.suppressed
            for rule_id, _, reason in [entry.partition(":")]
            if reason in reasons
        }
        return frozenset(dropped - assessment.labels)

    def words(self, text: str) -> list[str]:
        """The message's canonical words, as the patterns (and the model) read them."""
        return self._set.normaliser.words(text)

    def classify(self, text: str) -> RiskAssessment:
        """Assess one message. Never raises: if the check breaks, the message is flagged as unchecked."""
        try:
            with self._lock:  # spaCy's string store is shared; a long message may be checked on another thread
                assessment = self._classify(text)
                if INVISIBLE.search(text):  # read as nothing ("d\u200bie") and as a space ("i\u200bwant to die")
                    assessment = _either(assessment, self._classify(INVISIBLE.sub(" ", text)))
                return assessment
        except Exception as exc:  # fail safe: an unchecked message gets help and an officer's eyes
            logger.error("the safety check failed (%s); the message is flagged as unchecked", type(exc).__name__)
            return RiskAssessment(
                labels=frozenset([CHECK_FAILED]), severity=max(self._set.severities.values()),
                rule_ids=(CHECK_FAILED,),
            )

    def _classify(self, text: str) -> RiskAssessment:
        words = self._set.normaliser.words(text)
        if not words:
            return NO_RISK
        canonical = tuple(words)
        if words[-1] not in self._set.sentence_breaks:
            words.append(".")  # the end of a message ends a sentence, so patterns can match it as $END
        if words[0] not in self._set.sentence_breaks:
            words.insert(0, ".")  # and its start begins one: "$END year 10 ," is a message that opens "year 10,"
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
            return RiskAssessment(labels=frozenset(), severity=0, rule_ids=(), times=frozenset(k for *_, k in times),
                                  words=canonical)
        context = _Context(self._set, words, cues, times)
        accepted: list[Rule] = []
        suppressed: list[str] = []
        for rule_id in sorted(hits):
            rule = self._set.rules[rule_id]
            first_reason = None
            for span in hits[rule_id]:
                reason = context.reason_to_drop(rule, span)
                if reason is None:
                    accepted.append(rule)
                    break
                first_reason = first_reason or reason
            else:
                suppressed.append(f"{rule_id}:{first_reason}")
        labels = frozenset(rule.label for rule in accepted)
        return RiskAssessment(
            labels=labels,
            severity=max((self._set.severities[label] for label in labels), default=0),
            rule_ids=tuple(rule.id for rule in accepted),
            suppressed=tuple(suppressed),
            times=frozenset(kind for *_, kind in times),
            words=canonical,
        )


class _AnchoredMatcher:
    """spaCy Matchers grouped by an anchor word each pattern requires; a message runs only the groups
    whose anchor words it contains, so the cost follows the message, not the size of the pattern file."""

    def __init__(self, vocab: Any, compiled: dict[str, list[MatcherPattern]]) -> None:
        from spacy.matcher import Matcher

        # anchor words -> what the other required tokens must be -> matcher key -> patterns
        grouped: dict[frozenset[str], dict[tuple[frozenset[str], ...], dict[str, list[MatcherPattern]]]] = defaultdict(
            lambda: defaultdict(lambda: defaultdict(list)))
        reach: dict[frozenset[str], tuple[int, int]] = {}
        for key, patterns in compiled.items():
            for pattern in patterns:
                anchor, at = _anchor(pattern)
                grouped[anchor][_needs(pattern, anchor)][key].append(pattern)
                before, after = reach.get(anchor, (0, 0))
                reach[anchor] = (max(before, at), max(after, len(pattern) - at - 1))
        # Per group (one per set of anchor words): matchers, each for the patterns whose other required tokens need
        # the same words (each token one of a set of words). A stretch that lacks one of those sets cannot match
        # there, and is not run through that matcher: a matcher tries each of its patterns at every word it is
        # given, so the fewer patterns a stretch meets, the less it costs.
        self._groups: list[list[tuple[tuple[frozenset[str], ...], Any]]] = []
        # How far a match of each group can reach before and after its anchor word, in words.
        self._reach: list[tuple[int, int]] = []
        # Per group, every word one of its matchers needs besides the anchor (None: one of them needs none).
        self._seconds: list[frozenset[str] | None] = []
        self._anchors: list[tuple[str, ...]] = []  # per group, its anchor words
        self._by_word: dict[str, list[int]] = defaultdict(list)
        for index, (anchor, by_second) in enumerate(grouped.items()):
            matchers = []
            for needs, by_key in sorted(by_second.items(), key=lambda item: len(item[0])):
                matcher = Matcher(vocab, validate=True)
                for key, patterns in by_key.items():
                    matcher.add(key, patterns)
                matchers.append((needs, matcher))
            self._groups.append(matchers)
            self._reach.append(reach[anchor])
            needed = all(needs for needs, _ in matchers)
            self._seconds.append(frozenset().union(*(needs[0] for needs, _ in matchers)) if needed else None)
            self._anchors.append(tuple(sorted(anchor)))
            for word in anchor:
                self._by_word[word].append(index)

    def __call__(self, doc: Any, words: list[str]) -> list[tuple[int, int, int]]:
        """All (match_id, start, end) of every pattern in the message.

        Each group runs only over the stretches of the message around its anchor words (a pattern is at most
        known length and contains its anchor), so the work grows with the message, never with the
        message times the number of patterns it happens to touch.
        """
        where: dict[str, list[int]] = defaultdict(list)  # each word of the message: where it is
        for index, word in enumerate(words):
            where[word].append(index)
        by_word = self._by_word
        present = set(where)
        groups = {group for word in present if word in by_word for group in by_word[word]}
        size = len(words)
        found: set[tuple[int, int, int]] = set()
        for group in groups:
            second = self._seconds[group]
            if second is not None and second.isdisjoint(present):
                continue  # every pattern of the group needs a word the message does not have
            places = [where[word] for word in self._anchors[group] if word in where]
            anchors = places[0] if len(places) == 1 else sorted(itertools.chain.from_iterable(places))
            before, after = self._reach[group]
            longest = 2 * (before + after + 1)  # a stretch never grows past this, so the work stays linear
            start, end = max(0, anchors[0] - before), min(size, anchors[0] + after + 1)
            for anchor in anchors[1:]:
                next_end = min(size, anchor + after + 1)
                if anchor - before <= end and next_end - start <= longest:
                    end = next_end
                    continue
                self._match(group, doc, words, start, end, found)
                start, end = max(0, anchor - before), next_end
            self._match(group, doc, words, start, end, found)
        return sorted(found)

    def _match(self, group: int, doc: Any, words: list[str], start: int, end: int, found: set[Any]) -> None:
        second = self._seconds[group]
        stretch_words = words[start:end]
        if second is not None and second.isdisjoint(stretch_words):
            return
        present = set(stretch_words)
        stretch = None  # made only when a matcher runs
        for needs, matcher in self._groups[group]:
            for words_needed in needs:
                if words_needed.isdisjoint(present):
                    break
            else:
                if stretch is None:
                    stretch = doc[start:end]
                found.update((key, first + start, last + start) for key, first, last in matcher(stretch))


def _anchor(pattern: MatcherPattern) -> tuple[frozenset[str], int]:
    """The most selective set of words one required token of the pattern must be, and that token's place."""
    options = []
    for at, spec in enumerate(pattern):
        lower = spec.get("LOWER")
        if "OP" in spec or lower is None or (isinstance(lower, dict) and "IN" not in lower):
            continue
        words = frozenset([lower] if isinstance(lower, str) else lower["IN"])
        options.append((len(words & _COMMON_WORDS) > 0, len(words), sorted(words), at, words))
    best = min(options)
    return best[-1], best[-2]


def _needs(pattern: MatcherPattern, anchor: frozenset[str]) -> tuple[frozenset[str], ...]:
    """The sets of words each other required token of the pattern (besides its anchor) must be, the most
    selective first; empty if there is none."""
    options = []
    anchor_seen = False
    for spec in pattern:
        lower = spec.get("LOWER")
        if "OP" in spec or lower is None or (isinstance(lower, dict) and "IN" not in lower):
            continue  # optional, a wildcard or a number: nothing to look for
        words = frozenset([lower] if isinstance(lower, str) else lower["IN"])
        if words == anchor and not anchor_seen:
            anchor_seen = True
            continue
        options.append((len(words & _COMMON_WORDS) > 0, len(words), sorted(words), words))
    return tuple(dict.fromkeys(option[-1] for option in sorted(options)))


class _Context:
    """Clause and sentence positions of one message, and the cues found in it, indexed so that each check
    looks only near its hit (the cost of a message stays linear in its length)."""

    def __init__(
        self,
        pattern_set: PatternSet,
        words: list[str],
        cues: dict[str, list[Span]],
        times: list[tuple[int, int, str]],
    ) -> None:
        self.set = pattern_set
        self.words = words
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
        covered = [0] * (len(words) + 1)
        for start, end in cues["idiom"]:
            for i in range(start, end):
                covered[i + 1] = 1
        self.idiom_before = list(itertools.accumulate(covered))  # idiom words before each position
        self.negations_ending: dict[int, list[int]] = defaultdict(list)
        for start, end in cues["negation"]:
            self.negations_ending[end].append(start)
        self.framing_ends: dict[int, list[int]] = defaultdict(list)
        for start, end in cues["framing"]:
            self.framing_ends[self.sentence[start]].append(end)
        self.listener = {i for start, end in cues["speech"] for i in range(start, end)}
        self.dated_sentences = {self.sentence[start] for start, _, kind in times if kind != "past"}
        self.past_clauses = {self.clause[start] for start, _, kind in times if kind == "past"}
        self.times = sorted(times)
        self.time_starts = [start for start, _, _ in self.times]
        self.longest_time = max((end - start for start, end, _ in times), default=0)

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
        return self.idiom_before[end] > self.idiom_before[start]

    def _negated(self, span: Span) -> bool:
        start = span[0]
        for cue_end in range(max(0, start - self.set.negation_window), start + 1):
            for cue_start in self.negations_ending.get(cue_end, ()):
                if self.clause[cue_start] == self.clause[start] and all(
                    word in self.set.negation_may_skip for word in self.words[cue_end:start]
                ):
                    return True
        return False

    def _framed(self, span: Span) -> bool:
        start, end = span
        sentence = self.sentence[start]
        if sentence in self.dated_sentences:
            return False  # a concrete time ("last night", "right now") means a real event, not a what-if
        near = start - self.set.first_person_window
        # Only where the look for a first-person word begins matters: at `near`, or at a cue ending after it.
        begins = {max(cue_end, near) for cue_end in self.framing_ends.get(sentence, ()) if cue_end <= start}
        return any(not self._first_person(begin, end) for begin in begins)

    def _first_person(self, start: int, end: int) -> bool:
        # "tells me", "asked me": the sender is only the listener there.
        return any(self.words[i] in self.set.first_person and i not in self.listener for i in range(start, end))

    def _past_in_clause(self, span: Span) -> bool:
        start, end = span
        return self.clause[start] in self.past_clauses or self.clause[end - 1] in self.past_clauses

    def _nearest_dated_time(self, span: Span) -> str | None:
        start, end = span
        window = self.set.time_window
        first = bisect.bisect_left(self.time_starts, start - window - self.longest_time)
        last = bisect.bisect_right(self.time_starts, end + window)
        best: tuple[int, int, str] | None = None
        for s, e, kind in self.times[first:last]:
            distance = max(s - end, start - e, 0)
            if kind == "now" or distance > window:
                continue
            rank = (distance, 0 if kind == "recent" else 1, kind)
            if best is None or rank < best:
                best = rank
        return best[2] if best else None


@lru_cache(maxsize=1)
def get_classifier() -> RiskClassifier:
    """The process-wide classifier, loaded once on first use."""
    return RiskClassifier.load()


def _either(first: RiskAssessment, second: RiskAssessment) -> RiskAssessment:
    """One message read two ways: whatever either reading raised (the first reading's words go to the model)."""
    if not second.labels:
        return first
    return RiskAssessment(
        labels=first.labels | second.labels, severity=max(first.severity, second.severity),
        rule_ids=tuple(dict.fromkeys(first.rule_ids + second.rule_ids)),
        suppressed=tuple(dict.fromkeys(first.suppressed + second.suppressed)), times=first.times | second.times,
        words=first.words,
    )
