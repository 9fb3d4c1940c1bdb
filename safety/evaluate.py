"""Measure the safety check: `python -m safety.evaluate [--blind] [--before-training] [path ...]`.

With no argument it reports everything: the labelled set, the blind batches (aggregate figures only: nobody
reads their misses, so nothing is tuned on them), and each new batch as it scored BEFORE it was trained on
(a model trained without that batch, thresholds chosen without it). Each as three layers: the rules alone,
the model alone, and the combined verdict. The exit code keeps the rule that guards the labelled set.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from safety.model import RISK_LABELS, RiskModel
from safety.risk import RiskAssessment, RiskClassifier, get_classifier
from safety.verdict import SafetyCheck, Verdict, load_model

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SET = ROOT / "tests" / "safety" / "labelled.yml"
BLIND = ROOT / "tests" / "safety" / "blind"
# A missed crisis in these labels is the failure the safety net exists to prevent.
MUST_NOT_MISS = ("immediate_danger", "suicide_self_harm")
EMERGENCY = MUST_NOT_MISS  # the labels whose answer is 999 / Samaritans
MIN_BENIGN_PRECISION = 0.90
LAYERS = ("rules", "model", "combined")


@dataclass(frozen=True)
class Example:
    """One labelled message (group and ask come with the batches of new phrasings)."""

    text: str
    labels: frozenset[str]
    group: str = ""
    ask: str | None = None


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
class Groups:
    """What each group of messages was given (only for sets whose items carry a group)."""

    crisis: int = 0
    crisis_helped: int = 0  # a label or a check-in
    lookalike: int = 0
    lookalike_emergency: int = 0  # given 999 / Samaritans (an emergency label, not a weak one)
    lookalike_check_in: int = 0  # asked a check-in question (kind, but not needed)
    ambiguous: int = 0
    ambiguous_helped: int = 0  # a check-in or a label
    everyday: int = 0  # ordinary messages ("just wondering", "ok thanks"): nothing should be asked or raised
    everyday_check_in: int = 0  # asked whether they are safe or thinking of suicide, for nothing
    everyday_flagged: int = 0  # given a label


@dataclass(frozen=True)
class Evaluation:
    """Figures for one labelled set and one layer."""

    path: Path
    total: int
    scores: tuple[LabelScore, ...]
    benign_total: int
    benign_clean: int
    misses: tuple[Miss, ...]
    layer: str = "combined"
    groups: Groups = field(default_factory=Groups)

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
    """Read a labelled set: a YAML list of {text, labels} (and, in the batches, group and ask)."""
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
        examples.append(Example(item["text"], frozenset(labels), str(item.get("group") or ""), item.get("ask")))
    return examples


def rules_verdict(assessment: RiskAssessment) -> Verdict:
    """The rules' assessment as a verdict (for scoring the rules alone)."""
    return Verdict(labels=assessment.labels, severity=assessment.severity, layer="rule" if assessment.flagged
                   else None, score=1.0 if assessment.flagged else 0.0, rule_ids=assessment.rule_ids)


def model_verdict(check: SafetyCheck, scores: dict[str, float], model: RiskModel) -> Verdict:
    """What the model alone would decide: the combined logic with no rule hit."""
    empty = RiskAssessment(labels=frozenset(), severity=0, rule_ids=())
    return check.combine(empty, scores, model.thresholds)


def score(
    path: Path, examples: Sequence[Example], verdicts: Sequence[Verdict], layer: str,
    details: Sequence[RiskAssessment] | None = None,
) -> Evaluation:
    """Score one layer's verdicts against the expected labels."""
    counts = {label: [0, 0, 0] for label in RISK_LABELS}
    misses = []
    benign_total = benign_clean = 0
    g = dict.fromkeys(Groups.__dataclass_fields__, 0)
    for n, (example, verdict) in enumerate(zip(examples, verdicts, strict=True)):
        for label, row in counts.items():
            expected, predicted = label in example.labels, label in verdict.labels
            row[0] += expected and predicted
            row[1] += predicted and not expected
            row[2] += expected and not predicted
        if not example.labels:
            benign_total += 1
            benign_clean += not verdict.labels
        helped = verdict.flagged or verdict.check_in is not None
        if example.group == "crisis":
            g["crisis"] += 1
            g["crisis_helped"] += helped
        elif example.group == "lookalike":
            g["lookalike"] += 1
            g["lookalike_emergency"] += bool(verdict.labels & set(EMERGENCY))
            g["lookalike_check_in"] += verdict.check_in is not None
        elif example.group == "ambiguous":
            g["ambiguous"] += 1
            g["ambiguous_helped"] += helped
        elif example.group == "everyday":
            g["everyday"] += 1
            g["everyday_flagged"] += verdict.flagged
            g["everyday_check_in"] += verdict.check_in is not None and not verdict.flagged
        if verdict.labels != example.labels:
            detail = details[n] if details else None
            misses.append(Miss(example.text, example.labels, verdict.labels, verdict.rule_ids,
                               detail.suppressed if detail else ()))
    return Evaluation(
        path=path, total=len(examples), scores=tuple(LabelScore(label, *row) for label, row in counts.items()),
        benign_total=benign_total, benign_clean=benign_clean, misses=tuple(misses), layer=layer, groups=Groups(**g),
    )


def evaluate_layers(path: Path | str, check: SafetyCheck) -> dict[str, Evaluation]:
    """Every layer's figures on one set (the model's only when the check has a model)."""
    path = Path(path)
    examples = load_examples(path)
    unknown = {label for e in examples for label in e.labels} - set(check.labels)
    if unknown:
        raise ValueError(f"{path}: unknown labels {sorted(unknown)}")
    assessments = [check.rules.classify(e.text) for e in examples]
    out = {"rules": score(path, examples, [rules_verdict(a) for a in assessments], "rules", assessments)}
    if check.model is not None:
        all_scores = [check.model.scores(check.rules.words(e.text)) for e in examples]
        out["model"] = score(path, examples, [model_verdict(check, s, check.model) for s in all_scores], "model")
        out["combined"] = score(path, examples, [check.combine(a, s, check.model.thresholds)
                                                 for a, s in zip(assessments, all_scores, strict=True)],
                                "combined", assessments)
    else:
        out["combined"] = out["rules"]
    return out


def evaluate(path: Path | str | None = None, classifier: RiskClassifier | None = None,
             check: SafetyCheck | None = None) -> Evaluation:
    """The combined verdict's figures on one set (the rules alone when a classifier is given)."""
    if check is None:
        from safety.verdict import get_safety_check

        check = SafetyCheck(classifier) if classifier is not None else get_safety_check()
    return evaluate_layers(Path(path) if path else DEFAULT_SET, check)["combined"]


def before_training(log: Callable[[str], None] = print) -> dict[str, dict[str, Evaluation]]:
    """Each batch of new phrasings scored by a model trained without it (leave one batch out), per layer.

    The fold models are the cross-validation's: a batch's fold holds it out whole (with a quarter of the other
    batches and of the labelled set), and its thresholds are chosen from the other batches' out-of-fold scores.
    """
    from safety import train

    check = SafetyCheck(get_classifier())
    items = train.training_items(check.rules)
    log("training one model per batch left out (about a minute)...")
    scores = train.out_of_fold_scores(items)
    ruled = train.rule_labels(check.rules, items)
    out: dict[str, dict[str, Evaluation]] = {}
    for path in sorted(train.BATCHES.glob("*.yml")):
        mine = [n for n, item in enumerate(items) if item.source == path.stem]
        others = [n for n, item in enumerate(items) if item.source not in ("labelled", path.stem)]
        thresholds = train.choose_thresholds([items[n] for n in others], [scores[n] for n in others])
        confirm = train.choose_confirm_floors([items[n] for n in others], [scores[n] for n in others],
                                              [ruled[n] for n in others])
        thresholds = dataclasses.replace(thresholds, confirm=confirm)
        examples = load_examples(path)
        assessments = [check.rules.classify(e.text) for e in examples]
        empty = RiskAssessment(labels=frozenset(), severity=0, rule_ids=())
        out[path.name] = {
            "rules": score(path, examples, [rules_verdict(a) for a in assessments], "rules"),
            "model": score(path, examples, [check.combine(empty, scores[n], thresholds) for n in mine], "model"),
            "combined": score(path, examples, [check.combine(a, scores[n], thresholds)
                                               for a, n in zip(assessments, mine, strict=True)], "combined"),
        }
    return out


def report(evaluation: Evaluation, show_misses: bool = True) -> str:
    """Plain-text report of one evaluation."""
    lines = [
        f"{evaluation.path} ({evaluation.total} messages, {evaluation.layer})",
        f"{'label':<24}{'precision':>10}{'recall':>10}",
    ]
    for s in evaluation.scores:
        counts = f"tp={s.true_positives} fp={s.false_positives} fn={s.false_negatives}"
        lines.append(f"{s.label:<24}{s.precision:>10.1%}{s.recall:>10.1%}   {counts}")
    lines.append(
        f"benign precision: {evaluation.benign_precision:.1%} "
        f"({evaluation.benign_clean}/{evaluation.benign_total} benign messages raised no label)"
    )
    lines.extend(group_lines(evaluation.groups))
    if show_misses and evaluation.misses:
        lines.append(f"misclassified ({len(evaluation.misses)}):")
        for miss in evaluation.misses:
            lines.append(
                f"  - {miss.text!r}\n    expected {sorted(miss.expected)}, got {sorted(miss.predicted)}"
                f"; rules {list(miss.rule_ids)}; dropped {list(miss.suppressed)}"
            )
    lines.extend(f"FAIL: {problem}" for problem in evaluation.failures)
    return "\n".join(lines)


def group_lines(g: Groups) -> list[str]:
    """The per-group figures, when the set has groups."""
    lines = []
    if g.crisis or g.lookalike or g.ambiguous:
        lines += [
            f"crisis given crisis help (a label or a check-in): {g.crisis_helped}/{g.crisis}",
            f"look-alikes given the emergency answer: {g.lookalike_emergency}/{g.lookalike}"
            f" (asked a check-in: {g.lookalike_check_in})",
            f"ambiguous given a check-in or crisis help: {g.ambiguous_helped}/{g.ambiguous}",
        ]
    if g.everyday:
        lines.append(f"ordinary messages asked a check-in: {g.everyday_check_in}/{g.everyday}"
                     f" (given a label: {g.everyday_flagged})")
    return lines


def table(title: str, rows: Iterable[tuple[str, Evaluation]]) -> str:
    """One line per (set, layer): recall and precision per label, and the group figures."""
    short = {label: "".join(word[0] for word in label.split("_")) for label in RISK_LABELS}
    lines = [title, f"{'set':<16}{'layer':<10}" + "".join(f"{short[label] + ' R/P':>14}" for label in RISK_LABELS)
             + "   crisis helped | look-alikes 999 (check-in) | ambiguous helped"]
    for name, e in rows:
        cells = "".join(f"{s.recall:>7.0%}/{s.precision:<6.0%}" for s in e.scores)
        g = e.groups
        groups = ""
        if g.crisis:
            groups = (f"   {g.crisis_helped:>3}/{g.crisis:<3}        | {g.lookalike_emergency:>3}/{g.lookalike:<3}"
                      f" ({g.lookalike_check_in:>2})          | {g.ambiguous_helped:>3}/{g.ambiguous:<3}")
        lines.append(f"{name:<16}{e.layer:<10}{cells}{groups}")
    return "\n".join(lines)


def blind_figures(check: SafetyCheck) -> list[tuple[str, Evaluation]]:
    """Aggregate figures on each blind batch and on all of them, per layer (never the messages themselves)."""
    rows: list[tuple[str, Evaluation]] = []
    for path in sorted(BLIND.glob("*.yml")):
        rows.extend((path.stem, evaluation) for evaluation in evaluate_layers(path, check).values())
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    """Evaluate; exit 1 when the labelled set (or a given set) misses a threshold."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("paths", nargs="*", type=Path, help="labelled sets to evaluate in full")
    parser.add_argument("--blind", action="store_true", help="aggregate figures on the blind batches")
    parser.add_argument("--before-training", action="store_true", help="each batch before it was trained on")
    parser.add_argument("--model", help="a trained model directory (default: $SAFETY_MODEL_PATH or models/safety)")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    everything = not (args.paths or args.blind or args.before_training)
    check = SafetyCheck(get_classifier(), load_model(args.model))
    if check.model is None:
        print("no trained model: figures are for the rules alone (build it with `python -m safety.train`)\n")
    failed = False
    for path in args.paths or ([DEFAULT_SET] if everything else []):
        layers = evaluate_layers(path, check)
        if check.model is not None:
            print(table(f"{path} by layer", [(Path(path).stem, e) for e in layers.values()]), end="\n\n")
        print(report(layers["combined"]), end="\n\n")
        failed = failed or bool(layers["combined"].failures)
    if args.blind or everything:
        print(table("blind batches (never trained or tuned on; aggregate figures only)", blind_figures(check)),
              end="\n\n")
    if args.before_training or everything:
        figures = before_training()
        rows = [(name.removesuffix(".yml"), e) for name, layers in figures.items() for e in layers.values()]
        print(table("new batches BEFORE they were trained on (leave one batch out)", rows), end="\n\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
