"""The evaluation command: thresholds met on the labelled set, failures reported with a non-zero exit."""

from __future__ import annotations

from pathlib import Path

import pytest

from safety.evaluate import (
    DEFAULT_SET,
    MIN_BENIGN_PRECISION,
    MUST_NOT_MISS,
    evaluate,
    load_examples,
    main,
)
from safety.risk import get_classifier

HERE = Path(__file__).resolve().parent


def test_labelled_set_is_large_and_covers_every_label() -> None:
    examples = load_examples(DEFAULT_SET)
    assert len(examples) >= 180
    assert sum(not e.labels for e in examples) >= 60
    for label in get_classifier().labels:
        assert sum(label in e.labels for e in examples) >= 15, label


def test_labelled_set_meets_the_thresholds() -> None:
    evaluation = evaluate(DEFAULT_SET)
    scores = {s.label: s for s in evaluation.scores}
    for label in MUST_NOT_MISS:
        assert scores[label].recall == 1.0, [m.text for m in evaluation.misses if label in m.expected]
    assert evaluation.benign_precision >= MIN_BENIGN_PRECISION
    assert evaluation.failures == []


def test_heldout_set_is_scored() -> None:
    evaluation = evaluate(HERE / "heldout.yml")
    assert evaluation.total >= 30
    assert evaluation.benign_total >= 10


def test_command_prints_the_figures(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(DEFAULT_SET)]) == 0
    out = capsys.readouterr().out
    assert "precision" in out and "recall" in out and "benign precision" in out


def test_command_fails_when_a_crisis_is_missed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "set.yml"
    path.write_text(
        '- {text: "the weather is lovely", labels: [suicide_self_harm]}\n- {text: "hello", labels: []}\n',
        encoding="utf-8",
    )
    assert main([str(path)]) == 1
    out = capsys.readouterr().out
    assert "FAIL: recall for suicide_self_harm" in out
    assert "the weather is lovely" in out


def test_command_fails_on_too_many_false_alarms(tmp_path: Path) -> None:
    path = tmp_path / "set.yml"
    path.write_text('- {text: "I want to kill myself", labels: []}\n', encoding="utf-8")
    evaluation = evaluate(path)
    assert evaluation.benign_precision == 0.0
    assert main([str(path)]) == 1


def test_unknown_labels_in_a_set_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "set.yml"
    path.write_text('- {text: "hi", labels: [sad]}\n', encoding="utf-8")
    with pytest.raises(ValueError, match="unknown labels"):
        evaluate(path)


def test_group_figures_count_help_check_ins_and_false_emergencies(tmp_path: Path, safety_model) -> None:
    from safety.evaluate import evaluate_layers
    from safety.verdict import SafetyCheck

    path = tmp_path / "batch.yml"
    path.write_text(
        '- {text: "i want to kill myself", labels: [suicide_self_harm], group: crisis}\n'
        '- {text: "the weather is lovely", labels: [immediate_danger], group: crisis}\n'
        '- {text: "this deadline is killing me", labels: [], group: lookalike}\n'
        '- {text: "i want to kill myself", labels: [], group: lookalike}\n'
        '- {text: "i dont know how much longer i can keep doing this", labels: [], group: ambiguous, ask: suicide}\n',
        encoding="utf-8",
    )
    layers = evaluate_layers(path, SafetyCheck(get_classifier(), safety_model))
    assert set(layers) == {"rules", "model", "combined"}
    rules, combined = layers["rules"].groups, layers["combined"].groups
    assert (rules.crisis, rules.crisis_helped, rules.lookalike, rules.lookalike_emergency) == (2, 1, 2, 1)
    assert (rules.ambiguous, rules.ambiguous_helped) == (1, 0)
    assert combined.ambiguous_helped == 1  # the model asks the check-in question the rules cannot


def test_ordinary_messages_count_the_check_ins_and_labels_they_were_given(tmp_path: Path, safety_model) -> None:
    from safety.evaluate import evaluate_layers, group_lines
    from safety.verdict import SafetyCheck

    path = tmp_path / "everyday.yml"
    path.write_text(
        '- {text: "ok thanks, that helps", labels: [], group: everyday}\n'
        '- {text: "i want to kill myself", labels: [], group: everyday}\n'
        '- {text: "i dont know how much longer i can keep doing this", labels: [], group: everyday}\n',
        encoding="utf-8",
    )
    combined = evaluate_layers(path, SafetyCheck(get_classifier(), safety_model))["combined"].groups
    assert (combined.everyday, combined.everyday_flagged, combined.everyday_check_in) == (3, 1, 1)
    assert group_lines(combined) == ["ordinary messages asked a check-in: 1/3 (given a label: 1)"]


def test_blind_figures_never_show_a_blind_message(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--blind"]) == 0
    out = capsys.readouterr().out
    assert "blind_37" in out and "blind_43" in out and "crisis helped" in out
    blind_texts = [e.text for path in sorted((HERE / "blind").glob("*.yml")) for e in load_examples(path)
                   if len(e.text) > 20]
    assert len(blind_texts) > 200
    assert not any(text in out for text in blind_texts)
