"""Measure the risk classifier against a labelled set: `python -m safety.evaluate [path ...]`."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from safety.risk import RiskClassifier, get_classifier

DEFAULT_SET = Path(__file__).resolve().parent.parent / "tests" / "safety" / "labelled.yml"
# A missed crisis in these labels is the failure the safety net exists to prevent.
MUST_NOT_MISS = ("immediate_danger", "suicide_self_harm")
MIN_BENIGN_PRECISION = 0.90


@dataclass(frozen=True)
class Example:
    """One labelled message."""

    text: str
    labels: frozenset[str]


@dataclass(frozen=True)
class Miss:
    """A message whose predicted labels differ from the expected ones."""

    text: str
    expected: frozenset[str]
    predicted: frozenset[str]
    rule_ids: tuple[str, ...]
    suppressed: tuple[str, ...]


@dataclass(frozen=True)
class LabelScore:
    """Counts for one label."""

    label: str
    true_positives: int
    false_positives: int
    false_negatives: int

    @property
    def precision(self) -> float:
        """Share of raised flags that were right (1.0 when none was raised)."""
        raised = self.true_positives + self.false_positives
        return self.true_positives / raised if raised else 1.0

    @property
    def recall(self) -> float:
        """Share of expected flags that were raised (1.0 when none was expected)."""
        expected = self.true_positives + self.false_negatives
        return self.true_positives / expected if expected else 1.0


@dataclass(frozen=True)
class Evaluation:
    """Figures for one labelled set."""

    path: Path
    total: int
    scores: tuple[LabelScore, ...]
    benign_total: int
    benign_clean: int
    misses: tuple[Miss, ...]

    @property
    def benign_precision(self) -> float:
        """Share of benign messages that raised no label."""
        return self.benign_clean / self.benign_total if self.benign_total else 1.0

    @property
    def failures(self) -> list[str]:
        """The thresholds this set does not meet, in words; empty when it passes."""
        problems = [
            f"recall for {s.label} is {s.recall:.1%}, must be 100%"
            for s in self.scores
            if s.label in MUST_NOT_MISS and s.recall < 1.0
        ]
        if self.benign_precision < MIN_BENIGN_PRECISION:
            problems.append(
                f"benign precision is {self.benign_precision:.1%}, must be at least {MIN_BENIGN_PRECISION:.0%}"
            )
        return problems


def load_examples(path: Path) -> list[Example]:
    """Read a labelled set: a YAML list of {text, labels}."""
    items = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(items, list):
        raise ValueError(f"{path}: expected a list of {{text, labels}} items")
    examples = []
    for number, item in enumerate(items, start=1):
        if not isinstance(item, dict) or not isinstance(item.get("text"), str):
            raise ValueError(f"{path}: item {number} needs a 'text'")
        labels = item.get("labels") or []
        if not isinstance(labels, list):
            raise ValueError(f"{path}: item {number}: 'labels' must be a list")
        examples.append(Example(text=item["text"], labels=frozenset(labels)))
    return examples


def evaluate(path: Path | str | None = None, classifier: RiskClassifier | None = None) -> Evaluation:
    """Classify every message of a labelled set and score the result."""
    path = Path(path) if path else DEFAULT_SET
    classifier = classifier or get_classifier()
    examples = load_examples(path)
    unknown = {label for e in examples for label in e.labels} - set(classifier.labels)
    if unknown:
        raise ValueError(f"{path}: unknown labels {sorted(unknown)}")
    counts = {label: [0, 0, 0] for label in classifier.labels}
    misses = []
    benign_total = benign_clean = 0
    for example in examples:
        result = classifier.classify(example.text)
        for label, row in counts.items():
            expected, predicted = label in example.labels, label in result.labels
            row[0] += expected and predicted
            row[1] += predicted and not expected
            row[2] += expected and not predicted
        if not example.labels:
            benign_total += 1
            benign_clean += not result.labels
        if result.labels != example.labels:
            misses.append(Miss(example.text, example.labels, result.labels, result.rule_ids, result.suppressed))
    return Evaluation(
        path=path,
        total=len(examples),
        scores=tuple(LabelScore(label, *row) for label, row in counts.items()),
        benign_total=benign_total,
        benign_clean=benign_clean,
        misses=tuple(misses),
    )


def report(evaluation: Evaluation) -> str:
    """Plain-text report of one evaluation."""
    lines = [f"{evaluation.path} ({evaluation.total} messages)", f"{'label':<24}{'precision':>10}{'recall':>10}"]
    for s in evaluation.scores:
        counts = f"tp={s.true_positives} fp={s.false_positives} fn={s.false_negatives}"
        lines.append(f"{s.label:<24}{s.precision:>10.1%}{s.recall:>10.1%}   {counts}")
    lines.append(
        f"benign precision: {evaluation.benign_precision:.1%} "
        f"({evaluation.benign_clean}/{evaluation.benign_total} benign messages raised no label)"
    )
    if evaluation.misses:
        lines.append(f"misclassified ({len(evaluation.misses)}):")
        for miss in evaluation.misses:
            lines.append(
                f"  - {miss.text!r}\n    expected {sorted(miss.expected)}, got {sorted(miss.predicted)}"
                f"; rules {list(miss.rule_ids)}; dropped {list(miss.suppressed)}"
            )
    lines.extend(f"FAIL: {problem}" for problem in evaluation.failures)
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Evaluate each given set (default: the labelled set); exit 1 when any misses a threshold."""
    paths = list(sys.argv[1:] if argv is None else argv) or [DEFAULT_SET]
    failed = False
    for path in paths:
        evaluation = evaluate(path)
        print(report(evaluation), end="\n\n")
        failed = failed or bool(evaluation.failures)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
