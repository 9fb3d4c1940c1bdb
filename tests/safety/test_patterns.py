"""Malformed pattern files fail loudly, naming the rule and the problem."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from safety.patterns import PatternFileError, load_pattern_set
from safety.risk import RiskClassifier


def rule(data: dict[str, Any]) -> dict[str, Any]:
    return data["rules"][0]


def test_the_minimal_file_loads(tmp_path: Path, pattern_file) -> None:
    classifier = RiskClassifier(load_pattern_set(pattern_file(tmp_path)))
    assert classifier.classify("a test phrase here").labels == {"immediate_danger"}
    assert classifier.classify("not test word").labels == frozenset()
    assert classifier.classify("test word salad").suppressed == ("immediate_danger.test:idiom",)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda d: rule(d).update(label="danger"), r"rule 'immediate_danger.test': label 'danger' is not one of"),
        (lambda d: rule(d).update(patterns=["test $NOPE"]), r"pattern 1 \('test \$NOPE'\): unknown word class \$NOPE"),
        (lambda d: rule(d).update(patterns=["test (word"]), r"rule 'immediate_danger.test'.*unbalanced brackets"),
        (lambda d: rule(d).update(patterns=["test] word"]), r"stray bracket"),
        (lambda d: rule(d).update(patterns=[]), r"rule 'immediate_danger.test': needs a non-empty list of patterns"),
        (lambda d: rule(d).pop("patterns"), r"rule 'immediate_danger.test': needs a non-empty list of patterns"),
        (lambda d: rule(d).update(patterns=["test", 3]), r"pattern 2 must be a non-empty string"),
        (lambda d: rule(d).update(patterns=["[test]"]), r"needs at least one required word"),
        (lambda d: rule(d).update(patterns=["*2 test"]), r"cannot start or end with a wildcard"),
        (lambda d: rule(d).update(patterns=["test a||b"]), r"empty alternative"),
        (lambda d: rule(d).update(time="soon"), r"time must be one of"),
        (lambda d: rule(d).update(framing="maybe"), r"framing must be 'apply' or 'ignore'"),
        (lambda d: rule(d).update(severity=3), r"unknown keys \['severity'\]"),
        (lambda d: rule(d).update(id="Bad Id"), r"rules\[1\]: id 'Bad Id' must look like"),
        (lambda d: d["rules"].append(dict(rule(d))), r"rule 'immediate_danger.test': duplicate id"),
        (lambda d: d["rules"].append("oops"), r"rules\[2\]: each rule is a mapping"),
        (lambda d: d.pop("negation"), r"negation: missing, or not a mapping"),
        (lambda d: d["labels"].update(under_18=0), r"labels.under_18: severity must be a positive whole number"),
        (lambda d: d["negation"].update(window="4"), r"negation.window: must be a positive whole number"),
        (lambda d: d["words"].update(bad=["x"]), r"words.bad: a word class name is upper case"),
        (lambda d: d["words"].update(NUMBER=["1"]), r"\$NUMBER is built in"),
        (lambda d: d["framing"].update(cues=[]), r"framing.cues: needs a non-empty list of patterns"),
        (lambda d: d["normalise"].update(spellings=["im"]), r"normalise.spellings: needs a mapping"),
        (
            lambda d: (
                d["words"].update(MANY=[f"w{i} x" for i in range(30)]) or rule(d).update(patterns=["$MANY $MANY"])
            ),
            r"expands into more than \d+ variants; split it",
        ),
    ],
)
def test_malformed_files_name_the_problem(
    tmp_path: Path, pattern_file, minimal_patterns: dict[str, Any], change, expected: str
) -> None:
    change(minimal_patterns)
    path = pattern_file(tmp_path, minimal_patterns)
    with pytest.raises(PatternFileError, match=expected):
        load_pattern_set(path)


def test_invalid_yaml(tmp_path: Path) -> None:
    path = tmp_path / "patterns.yml"
    path.write_text("rules: [unclosed\n", encoding="utf-8")
    with pytest.raises(PatternFileError, match="not valid YAML"):
        load_pattern_set(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(PatternFileError, match="cannot read the pattern file"):
        RiskClassifier.load(tmp_path / "nowhere.yml")


def test_top_level_must_be_a_mapping(tmp_path: Path) -> None:
    path = tmp_path / "patterns.yml"
    path.write_text("- just a list\n", encoding="utf-8")
    with pytest.raises(PatternFileError, match="top level: must be a mapping"):
        load_pattern_set(path)


def test_the_shipped_file_loads() -> None:
    pattern_set = load_pattern_set(Path(__file__).resolve().parents[2] / "data" / "safety" / "patterns.yml")
    assert {"immediate_danger", "suicide_self_harm", "recent_sexual_assault", "under_18"} <= set(pattern_set.severities)
