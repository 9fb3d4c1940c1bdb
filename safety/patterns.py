"""Load the curated pattern file and compile its small pattern language into spaCy Matcher patterns.

A pattern is a line of words; each element is one of:
  word            a word, written naturally ("i'm", "wanna"): it is normalised like a message
  a|b|c           one of these words
  $CLASS          one of the phrases listed under `words:`
  (x y|z)         one of these phrases (a phrase may use $CLASS)
  [x y|z]         optionally one of these phrases
  $NUMBER         any number written in digits (built in)
  *N              up to N other words in the same clause (not punctuation, not a negation word)
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import yaml

from safety.normalise import Normaliser, TypoRepair

TokenSpec = dict[str, Any]
MatcherPattern = list[TokenSpec]

CONTEXT_CUES = ("negation", "framing", "speech", "idiom")
TIME_CUES = ("recent", "past", "now")
CUE_KINDS = CONTEXT_CUES + TIME_CUES
# "recent": the nearest dated time must be recent; "not_past": no past time in the same clause.
TIME_RULES = ("recent", "not_past")
MAX_VARIANTS = 400
NUMBER = "$NUMBER"

_RULE_ID = re.compile(r"^[a-z0-9_]+(\.[a-z0-9_]+)*$")
_CLASS_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")
_ELEMENT = re.compile(r"\[[^\]]*\]|\([^)]*\)|\S+")
_WILDCARD = re.compile(r"^\*([1-9])$")


class PatternFileError(ValueError):
    """The pattern file is malformed; the message names the place and the problem."""


@dataclass(frozen=True)
class Rule:
    """One curated rule: the label it raises and what it needs around it."""

    id: str
    label: str
    time: str | None = None
    ignore_framing: bool = False


@dataclass(frozen=True)
class PatternSet:
    """Everything the classifier needs from the pattern file, checked and compiled."""

    severities: dict[str, int]
    rules: dict[str, Rule]
    compiled: dict[str, list[MatcherPattern]]
    normaliser: Normaliser
    sentence_breaks: frozenset[str]
    clause_breaks: frozenset[str]
    negation_window: int
    negation_may_skip: frozenset[str]
    first_person: frozenset[str]
    first_person_window: int
    time_window: int


@dataclass
class _Slot:
    choices: list[tuple[str, ...]]
    optional: bool = False
    wildcard: int = 0
    number: bool = False


def cue_key(kind: str) -> str:
    """Matcher key for a cue kind; '@' keeps it apart from rule ids."""
    return f"@{kind}"


def load_pattern_set(path: Path) -> PatternSet:
    """Read, check and compile a pattern file."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise PatternFileError(f"{path}: cannot read the pattern file ({exc.strerror})") from exc
    except yaml.YAMLError as exc:
        raise PatternFileError(f"{path}: not valid YAML ({exc})") from exc
    return _Compiler(path, data).build()


class _Compiler:
    def __init__(self, path: Path, data: Any) -> None:
        self.path = path
        if not isinstance(data, dict):
            self.fail("top level", "must be a mapping")
        self.data: dict[str, Any] = data

    def fail(self, where: str, problem: str) -> NoReturn:
        raise PatternFileError(f"{self.path}: {where}: {problem}")

    def section(self, name: str, kind: type) -> Any:
        value = self.data.get(name)
        if not isinstance(value, kind):
            self.fail(name, f"missing, or not a {'mapping' if kind is dict else 'list'}")
        return value

    def build(self) -> PatternSet:
        severities = self._severities()
        norm = self.section("normalise", dict)
        self.normaliser = Normaliser(
            spellings=self._str_map(norm.get("spellings"), "normalise.spellings"),
            suffixes=self._str_map(norm.get("suffixes"), "normalise.suffixes"),
            is_after=self._words(norm.get("is_after"), "normalise.is_after"),
        )
        self.classes = self._classes()
        scope = self.section("scope", dict)
        sentence_breaks = frozenset(self._words(scope.get("sentence_breaks"), "scope.sentence_breaks"))
        clause_breaks = sentence_breaks | set(self._words(scope.get("clause_breaks"), "scope.clause_breaks"))

        negation = self.section("negation", dict)
        framing = self.section("framing", dict)
        time = self.section("time", dict)
        cue_sources = {
            "negation": (negation.get("cues"), "negation.cues"),
            "framing": (framing.get("cues"), "framing.cues"),
            "speech": (framing.get("reported_speech"), "framing.reported_speech"),
            "idiom": (self.data.get("idioms"), "idioms"),
            "recent": (time.get("recent"), "time.recent"),
            "past": (time.get("past"), "time.past"),
            "now": (time.get("now"), "time.now"),
        }
        # Single-word negation cues are known first: wildcards must never swallow them.
        self.negation_words = frozenset(
            slot.choices[0][0]
            for pattern in self._pattern_list(*cue_sources["negation"])
            for slots in [self._parse(pattern, "negation.cues")]
            if len(slots) == 1
            for slot in slots
            if len(slot.choices) == 1 and len(slot.choices[0]) == 1
        )
        self.sentence_breaks = sentence_breaks
        compiled: dict[str, list[MatcherPattern]] = {}
        for kind, (raw, where) in cue_sources.items():
            compiled[cue_key(kind)] = self._compile_all(self._pattern_list(raw, where), where)
        rules = self._rules(severities, compiled)
        typos = norm.get("typos")
        if typos is not None:
            self.normaliser = self.normaliser.with_typos(self._typo_repair(typos, compiled))
        return PatternSet(
            severities=severities,
            rules=rules,
            compiled=compiled,
            normaliser=self.normaliser,
            sentence_breaks=sentence_breaks,
            clause_breaks=frozenset(clause_breaks),
            negation_window=self._positive_int(negation.get("window"), "negation.window"),
            negation_may_skip=frozenset(self._canonical(negation.get("may_skip"), "negation.may_skip")),
            first_person=frozenset(self._canonical(framing.get("first_person"), "framing.first_person")),
            first_person_window=self._positive_int(framing.get("first_person_window"), "framing.first_person_window"),
            time_window=self._positive_int(time.get("window"), "time.window"),
        )

    def _typo_repair(self, name: Any, compiled: dict[str, list[MatcherPattern]]) -> TypoRepair:
        where = "normalise.typos"
        if not isinstance(name, str) or not name.endswith(".yml") or "/" in name:
            self.fail(where, "must name a .yml file beside the pattern file")
        path = self.path.parent / name
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            self.fail(where, f"cannot read {path.name} ({exc})")
        if not isinstance(data, dict):
            self.fail(where, f"{path.name} must be a mapping with words and leave_alone")
        targets = self._words(data.get("words"), f"{path.name}: words")
        leave_alone = self._words(data.get("leave_alone") or ["-"], f"{path.name}: leave_alone")
        min_length = self._positive_int(data.get("min_length"), f"{path.name}: min_length")
        # A word any rule or cue is written with is known: it is never "repaired" into another.
        used = {
            word
            for patterns in compiled.values()
            for pattern in patterns
            for spec in pattern
            for lower in [spec.get("LOWER")]
            if lower is not None
            for word in ([lower] if isinstance(lower, str) else lower.get("IN", []))
        }
        known = used | set(leave_alone) | self.normaliser.known_words()
        return TypoRepair(targets=[t.lower() for t in targets], known=known, min_length=min_length)

    def _severities(self) -> dict[str, int]:
        labels = self.section("labels", dict)
        if not labels:
            self.fail("labels", "no labels defined")
        for name, severity in labels.items():
            if not isinstance(name, str) or not _RULE_ID.match(name):
                self.fail(f"labels.{name}", "a label is lower case letters, digits and underscores")
            if not isinstance(severity, int) or isinstance(severity, bool) or severity < 1:
                self.fail(f"labels.{name}", "severity must be a positive whole number")
        return dict(labels)

    def _classes(self) -> dict[str, list[tuple[str, ...]]]:
        classes: dict[str, list[tuple[str, ...]]] = {}
        for name, phrases in self.section("words", dict).items():
            where = f"words.{name}"
            if not isinstance(name, str) or not _CLASS_NAME.match(name):
                self.fail(where, "a word class name is upper case letters, digits and underscores")
            if f"${name}" == NUMBER:
                self.fail(where, f"{NUMBER} is built in and cannot be redefined")
            choices = []
            for phrase in self._words(phrases, where):
                tokens = tuple(t for w in phrase.split() for t in self.normaliser.words(w))
                if not tokens:
                    self.fail(where, f"{phrase!r} is empty once normalised")
                choices.append(tokens)
            classes[name] = choices
        return classes

    def _rules(self, severities: dict[str, int], compiled: dict[str, list[MatcherPattern]]) -> dict[str, Rule]:
        rules: dict[str, Rule] = {}
        for index, raw in enumerate(self.section("rules", list), start=1):
            if not isinstance(raw, dict):
                self.fail(f"rules[{index}]", "each rule is a mapping with id, label and patterns")
            rule_id = raw.get("id")
            if not isinstance(rule_id, str) or not _RULE_ID.match(rule_id):
                self.fail(f"rules[{index}]", f"id {rule_id!r} must look like 'label.short_name'")
            where = f"rule {rule_id!r}"
            if rule_id in rules:
                self.fail(where, "duplicate id")
            unknown = set(raw) - {"id", "label", "patterns", "time", "framing"}
            if unknown:
                self.fail(where, f"unknown keys {sorted(unknown)}")
            label = raw.get("label")
            if label not in severities:
                self.fail(where, f"label {label!r} is not one of {sorted(severities)}")
            time = raw.get("time")
            if time is not None and time not in TIME_RULES:
                self.fail(where, f"time must be one of {list(TIME_RULES)}")
            if raw.get("framing", "apply") not in ("apply", "ignore"):
                self.fail(where, "framing must be 'apply' or 'ignore'")
            patterns = self._pattern_list(raw.get("patterns"), where)
            compiled[rule_id] = self._compile_all(patterns, where)
            rules[rule_id] = Rule(id=rule_id, label=label, time=time, ignore_framing=raw.get("framing") == "ignore")
        if not rules:
            self.fail("rules", "no rules defined")
        return rules

    def _compile_all(self, patterns: list[str], where: str) -> list[MatcherPattern]:
        compiled: list[MatcherPattern] = []
        for number, pattern in enumerate(patterns, start=1):
            here = f"{where}, pattern {number} ({pattern!r})"
            compiled.extend(self._compile(self._parse(pattern, here), here))
        return compiled

    def _parse(self, pattern: str, where: str) -> list[_Slot]:
        slots: list[_Slot] = []
        for element in _ELEMENT.findall(pattern):
            wildcard = _WILDCARD.match(element)
            if wildcard:
                slots.append(_Slot(choices=[], wildcard=int(wildcard.group(1))))
                continue
            if element == NUMBER:
                slots.append(_Slot(choices=[], number=True))
                continue
            optional = element.startswith("[")
            if element[0] in "[(":
                if element[-1] != ("]" if optional else ")"):
                    self.fail(where, f"unbalanced brackets in {element!r}")
                alternatives = element[1:-1].split("|")
            else:
                if any(ch in element for ch in "[]()*"):
                    self.fail(where, f"stray bracket or '*' in {element!r}")
                alternatives = element.split("|")
            choices: list[tuple[str, ...]] = []
            for alternative in alternatives:
                choices.extend(self._phrase(alternative, where))
            slots.append(_Slot(choices=list(dict.fromkeys(choices)), optional=optional))
        required = [s for s in slots if not s.optional and not s.wildcard and not s.number]
        if not required:
            self.fail(where, "needs at least one required word")
        if slots[0].wildcard or slots[-1].wildcard:
            self.fail(where, "a pattern cannot start or end with a wildcard")
        return slots

    def _phrase(self, phrase: str, where: str) -> list[tuple[str, ...]]:
        if not phrase.strip():
            self.fail(where, "empty alternative (look for '||' or a stray '|')")
        sequences: list[tuple[str, ...]] = [()]
        for word in phrase.split():
            if word.startswith("$"):
                if word[1:] not in self.classes:
                    self.fail(where, f"unknown word class {word}")
                options = self.classes[word[1:]]
            else:
                tokens = tuple(self.normaliser.words(word))
                if not tokens:
                    self.fail(where, f"{word!r} is empty once normalised")
                options = [tokens]
            sequences = [s + o for s in sequences for o in options]
        return sequences

    def _compile(self, slots: list[_Slot], where: str) -> list[MatcherPattern]:
        variants: list[MatcherPattern] = [[]]
        for slot in slots:
            if slot.wildcard:
                steps: list[list[TokenSpec]] = [[self._wildcard() for _ in range(slot.wildcard)]]
            elif slot.number:
                steps = [[{"IS_DIGIT": True}]]
            else:
                single = sorted({c[0] for c in slot.choices if len(c) == 1})
                steps = []
                if single:
                    spec = {"LOWER": single[0]} if len(single) == 1 else {"LOWER": {"IN": single}}
                    steps.append([spec])
                steps.extend([{"LOWER": t} for t in c] for c in slot.choices if len(c) > 1)
                if slot.optional:
                    if len(steps) == 1 and len(steps[0]) == 1:
                        steps = [[{**steps[0][0], "OP": "?"}]]
                    else:
                        steps.append([])
            variants = [v + step for v, step in itertools.product(variants, steps)]
            if len(variants) > MAX_VARIANTS:
                self.fail(where, f"expands into more than {MAX_VARIANTS} variants; split it")
        return variants

    def _wildcard(self) -> TokenSpec:
        stop = sorted(self.negation_words | self.sentence_breaks)
        return {"IS_PUNCT": False, "LOWER": {"NOT_IN": stop}, "OP": "?"}

    def _pattern_list(self, raw: Any, where: str) -> list[str]:
        if not isinstance(raw, list) or not raw:
            self.fail(where, "needs a non-empty list of patterns")
        for number, pattern in enumerate(raw, start=1):
            if not isinstance(pattern, str) or not pattern.strip():
                self.fail(where, f"pattern {number} must be a non-empty string")
        return raw

    def _words(self, raw: Any, where: str) -> list[str]:
        if not isinstance(raw, list) or not all(isinstance(w, str) and w.strip() for w in raw):
            self.fail(where, "needs a list of non-empty strings")
        return raw

    def _canonical(self, raw: Any, where: str) -> list[str]:
        return [t for w in self._words(raw, where) for t in self.normaliser.words(w)]

    def _str_map(self, raw: Any, where: str) -> dict[str, str]:
        if not isinstance(raw, dict) or not all(
            isinstance(k, str) and isinstance(v, str) and k.strip() and v.strip() for k, v in raw.items()
        ):
            self.fail(where, "needs a mapping of written form to canonical words")
        return raw

    def _positive_int(self, raw: Any, where: str) -> int:
        if not isinstance(raw, int) or isinstance(raw, bool) or raw < 1:
            self.fail(where, "must be a positive whole number")
        return raw
