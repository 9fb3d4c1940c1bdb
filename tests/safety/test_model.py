"""The statistical layer under the rules: what it catches, when it asks instead, and what happens without it."""

from __future__ import annotations

import dataclasses
import functools
import json
import logging
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from safety import train
from safety.model import CHECK_IN_FOR, MODEL_LABELS, WINDOW, ModelMissing, RiskModel, Scores, Thresholds, model_words
from safety.risk import get_classifier
from safety.verdict import (
    CHECK_IN,
    LONG_ASKED,
    MODEL,
    RULE,
    SafetyCheck,
    Verdict,
    get_safety_check,
    load_model,
    short_sentences,
)

EMERGENCY = {"immediate_danger", "suicide_self_harm"}
LONG_SURE, LONG_BORNE_OUT, _ = LONG_ASKED["suicide_self_harm"]
# A message the rules find nothing in, for verdicts built from given scores (not a bare "hello" or "ok", which a weak
# sign alone never asks about).
ORDINARY = "what time does the library open"


@pytest.fixture(scope="module")
def check(safety_model: RiskModel) -> SafetyCheck:
    return SafetyCheck(get_classifier(), safety_model)


# Training messages no rule catches that the model caught in cross-validation, from a fold model that had
# never read them (as in python -m safety.evaluate --before-training); the final model has read them.
@pytest.mark.parametrize(("text", "label"), [
    ("i just wish i wasnt alive anymore", "suicide_self_harm"),
    ("pls im scared hes got a bottle and hes really drunk and hes between me and the door", "immediate_danger"),
    ("he kept going even though i was crying. it was thursday", "recent_sexual_assault"),
    ("sixth form yr 12 and a lad in my year has shared my nudes round the whole year group", "under_18"),
])
def test_the_model_catches_what_no_rule_wrote_down(check: SafetyCheck, text: str, label: str) -> None:
    assert not get_classifier().classify(text).flagged
    verdict = check.assess(text)
    assert label in verdict.labels
    assert verdict.layer == MODEL and 0 < verdict.score <= 1 and verdict.rule_ids == ()


# Written after the model was trained, with no near-twin in its data: emoji read as words reach the model.
@pytest.mark.parametrize("text", ["😭😭💊 took the whole box 💊😭", "🗡\ufe0f🩸 again tonight"])
def test_a_message_told_mostly_in_emoji_gets_the_crisis_answer(check: SafetyCheck, text: str) -> None:
    assert "suicide_self_harm" in check.assess(text).labels


def test_a_typo_in_a_word_that_matters_is_still_caught(check: SafetyCheck) -> None:
    typed = ("i want to kil myself tonight", "i wnt 2 die", "took an overdoze of my meds", "suicde is all i think")
    for text in typed:
        verdict = check.assess(text)
        assert "suicide_self_harm" in verdict.labels, text


# Ambiguous training messages that got the right check-in in cross-validation.
@pytest.mark.parametrize(("text", "kind"), [
    ("i dont know how much longer i can keep doing this", "suicide"),
    ("hes been weird lately and im scared of him", "safety"),
])
def test_ambiguous_distress_gets_a_check_in_question_not_a_guess(check: SafetyCheck, text: str, kind: str) -> None:
    verdict = check.assess(text)
    assert verdict.check_in == kind
    assert not verdict.labels & EMERGENCY
    assert verdict.layer == CHECK_IN


@pytest.mark.parametrize("text", [
    "this dissertation is actually killing me lol",
    "writing an essay on suicide prevention in young men, any good uk stats sources?",
    "what happens if someone reports a rape but doesnt want the police involved",
    "im 19 and in year 2, can i still use the student counselling service",
    "hello",
    "is this confidential",
    "it happened at the christmas party last year",  # a past time: not a recent assault, whatever the words
])
def test_a_look_alike_or_an_everyday_message_gets_no_emergency_answer(check: SafetyCheck, text: str) -> None:
    verdict = check.assess(text)
    assert not verdict.labels
    assert verdict.layer in (None, MODEL)  # at most a weak hit, shown to officers


def test_the_model_never_removes_a_rule_label(check: SafetyCheck) -> None:
    assessment = get_classifier().classify("i want to kill myself")
    nothing = dict.fromkeys(MODEL_LABELS, 0.0)
    assert check.model is not None
    without_floors = dataclasses.replace(check.model.thresholds, confirm={})
    verdict = check.combine(assessment, nothing, without_floors)
    assert verdict.labels == {"suicide_self_harm"} and verdict.layer == RULE and verdict.score == 1.0
    # With the trained model, a rule's emergency label it agrees with is answered with 999 as before.
    verdict = check.assess("i want to kill myself")
    assert verdict.labels == {"suicide_self_harm"} and verdict.layer == RULE


def test_a_rule_hit_the_model_is_sure_is_only_a_topic_is_asked_about_never_dropped(check: SafetyCheck) -> None:
    assert check.model is not None
    thresholds = check.model.thresholds
    assert 0 < thresholds.confirm["suicide_self_harm"] <= max(train.CONFIRM_GRID)  # chosen at training, in safety.json
    nothing = dict.fromkeys(MODEL_LABELS, 0.0)
    assessment = get_classifier().classify("i want to kill myself")
    verdict = check.combine(assessment, nothing, thresholds)
    # No 999 answer, but never silence: the student is asked directly, and officers see the label.
    assert verdict.labels == frozenset() and verdict.check_in == "suicide" and verdict.layer == CHECK_IN
    assert "suicide_self_harm" in verdict.low_confidence and verdict.rule_ids
    # With another label answered anyway, nothing is held back.
    both = get_classifier().classify("im 15 and i want to kill myself")
    verdict = check.combine(both, nothing, thresholds)
    assert verdict.labels == {"under_18", "suicide_self_harm"} and verdict.layer == RULE


# Training look-alikes the rules flag by a topic word; the trained model scores them near zero.
@pytest.mark.parametrize("text", [
    "is there a self harm support group on campus",
    "does the wellbeing team deal with self harm or do i need to go to my gp",
])
def test_a_question_about_a_topic_gets_a_question_back_not_999(check: SafetyCheck, text: str) -> None:
    assert "suicide_self_harm" in get_classifier().classify(text).labels
    verdict = check.assess(text)
    assert not verdict.labels & EMERGENCY and verdict.check_in == "suicide"


def test_confirm_floors_are_read_back_and_refused_when_out_of_range() -> None:
    fire = dict.fromkeys(MODEL_LABELS, 0.5)
    weak = dict.fromkeys(MODEL_LABELS, 0.3)
    assert Thresholds.from_json({"fire": fire, "weak": weak}).confirm == {}  # a model trained before floors
    read = Thresholds.from_json({"fire": fire, "weak": weak, "confirm": {"suicide_self_harm": 0.02}})
    assert read.confirm == {"suicide_self_harm": 0.02}
    for bad in ({"under_18": 0.02}, {"suicide_self_harm": 0.5}, {"suicide_self_harm": -1}, ["x"]):
        with pytest.raises(ValueError):
            Thresholds.from_json({"fire": fire, "weak": weak, "confirm": bad})


def test_confirm_floors_spend_at_most_the_budget_of_true_rule_hits() -> None:
    def item(cats: set[str]) -> train.Item:
        return train.Item(words=("x",), cats=frozenset(cats), source="b", group="crisis")

    label = "suicide_self_harm"
    items = [item({label}) for _ in range(300)] + [item(set()) for _ in range(50)]
    scores = [dict.fromkeys(MODEL_LABELS, 0.9) for _ in range(300)] + [dict.fromkeys(MODEL_LABELS, 0.0)] * 50
    scores[0] = dict.fromkeys(MODEL_LABELS, 0.012)  # 3 true hits scored low: 3 of 300 is within 1%
    scores[1] = dict.fromkeys(MODEL_LABELS, 0.014)
    scores[2] = dict.fromkeys(MODEL_LABELS, 0.017)
    scores[3] = dict.fromkeys(MODEL_LABELS, 0.022)  # a fourth one would not be
    ruled = [frozenset({label})] * 350
    floors = train.choose_confirm_floors(items, scores, ruled)
    assert floors[label] == 0.02
    assert floors["immediate_danger"] == 0.0  # no true hits to show what a floor would cost: none


def test_a_floor_well_above_zero_is_chosen_when_the_true_hits_allow_it() -> None:
    """Look-alikes the rules flag by a topic word are asked instead of given 999 as far as the budget of true hits
    allows, not only up to a near-zero floor."""
    def item(cats: set[str]) -> train.Item:
        return train.Item(words=("x",), cats=frozenset(cats), source="b", group="crisis")

    label = "immediate_danger"
    items = [item({label}) for _ in range(300)]
    scores = [dict.fromkeys(MODEL_LABELS, 0.9) for _ in range(300)]
    for n, low in enumerate((0.11, 0.12, 0.13, 0.16)):  # three within 1% of 300, the fourth not
        scores[n] = dict.fromkeys(MODEL_LABELS, low)
    floors = train.choose_confirm_floors(items, scores, [frozenset({label})] * 300)
    assert floors[label] == 0.15
    read = Thresholds.from_json({"fire": dict.fromkeys(MODEL_LABELS, 0.5), "weak": dict.fromkeys(MODEL_LABELS, 0.3),
                                 "confirm": floors})
    assert read.confirm == floors  # a model saved with it loads


def test_no_emergency_of_the_labelled_set_is_ever_asked_about_instead_of_answered(safety_model: RiskModel) -> None:
    """The labelled set's danger and suicide messages keep their emergency answer: a floor the out-of-fold budget
    allowed is lowered, along the grid, under the final model's reading of any of them the rules catch."""
    rules = get_classifier()
    text = "is there a self harm support group on campus"  # read as a topic; labelled here as if it were a crisis
    words = tuple(rules.words(text))
    scores = safety_model.scores(words)
    reading = max(scores["suicide_self_harm"], scores["ask_suicide"])
    floors = {"suicide_self_harm": 0.3, "immediate_danger": 0.15}
    item = train.Item(words, frozenset({"suicide_self_harm"}), "labelled", "crisis")
    assert reading < 0.3 and "suicide_self_harm" in rules.classify(" ".join(words)).labels
    spared = train.spare_labelled_emergencies(safety_model, [item], train.rule_labels(rules, [item]), floors)
    assert spared["suicide_self_harm"] <= reading and spared["suicide_self_harm"] in train.CONFIRM_GRID
    assert spared["immediate_danger"] == 0.15  # nothing of that label was at stake
    from_a_batch = dataclasses.replace(item, source="batch_01")  # judged out of fold, by the budget, instead
    assert train.spare_labelled_emergencies(safety_model, [from_a_batch], train.rule_labels(rules, [from_a_batch]),
                                            floors) == floors


def test_a_crisis_of_another_kind_is_not_a_false_alarm_when_the_firing_threshold_is_chosen() -> None:
    """Danger scored 0.55 on messages about a suicide plan must not push the danger threshold above the danger
    messages scored 0.5: those people are in crisis too. A benign look-alike scored 0.55 still does."""
    def item(cats: set[str], group: str) -> train.Item:
        return train.Item(words=("x",), cats=frozenset(cats), source="b", group=group)

    def scored(danger: float) -> dict[str, float]:
        return dict(dict.fromkeys(MODEL_LABELS, 0.0), immediate_danger=danger)

    danger = [item({"immediate_danger"}, "crisis") for _ in range(40)]
    danger_scores = [scored(0.5 + 0.01 * (n % 40)) for n in range(40)]  # 0.50 .. 0.89
    others = [item({"suicide_self_harm"}, "crisis") for _ in range(60)]
    benign = [item(set(), "lookalike") for _ in range(60)]
    items = danger + others + benign
    scores = danger_scores + [scored(0.55)] * 60 + [scored(0.05)] * 60
    assert train.choose_thresholds(items, scores).fire["immediate_danger"] <= 0.5  # every danger message fires

    lookalikes = [item(set(), "lookalike") for _ in range(60)]  # the same scores on benign messages
    strict = train.choose_thresholds(danger + lookalikes + benign, danger_scores + [scored(0.55)] * 60
                                     + [scored(0.05)] * 60)
    assert strict.fire["immediate_danger"] > 0.55


def test_a_near_tie_keeps_the_lower_firing_threshold_so_more_crises_get_the_answer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two firing thresholds whose F(beta) differ by a hair (a few look-alikes raised against a few more crises
    answered) are a tie: the lower one is kept, and the suicide messages between them get the suicide answer rather
    than a question. A real difference is not a tie."""
    def item(cats: set[str], group: str) -> train.Item:
        return train.Item(words=("x",), cats=frozenset(cats), source="b", group=group)

    def scored(suicide: float) -> dict[str, float]:
        return dict(dict.fromkeys(MODEL_LABELS, 0.0), suicide_self_harm=suicide)

    def threshold(lookalikes_at_045: int) -> float:
        # 920 suicide messages, 900 scored 0.8 and 20 scored 0.45; look-alikes at 0.45, and 400 more at 0.05
        items = [item({"suicide_self_harm"}, "crisis")] * 920 + [item(set(), "lookalike")] * (lookalikes_at_045 + 400)
        scores = [scored(0.8)] * 900 + [scored(0.45)] * (20 + lookalikes_at_045) + [scored(0.05)] * 400
        return train.choose_thresholds(items, scores).fire["suicide_self_harm"]

    # With 6 look-alikes at 0.45, F0.5 is 0.99558 at 0.8 and 0.99481 at 0.45: 0.08% apart.
    monkeypatch.setattr(train, "FIRE_TOLERANCE", 0.0)
    assert threshold(6) == 0.8  # the strict best: twenty people in crisis are asked a question instead
    monkeypatch.setattr(train, "FIRE_TOLERANCE", 0.002)
    assert threshold(6) <= 0.45  # the near-tie: every suicide message gets the answer
    assert threshold(15) == 0.8  # 0.85% apart: not a tie


def test_ordinary_messages_keep_the_question_for_suicide_rare_however_many_crises_are_added(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The weak threshold chosen for recall alone would ask 'are you thinking about suicide?' of one ordinary message in
    ten here; raised to the budget, no more of the assistant's everyday messages are asked than it allows."""
    def item(cats: set[str], source: str, group: str) -> train.Item:
        return train.Item(words=("x",), cats=frozenset(cats), source=source, group=group)

    def scored(suicide: float) -> dict[str, float]:
        return dict(dict.fromkeys(MODEL_LABELS, 0.0), suicide_self_harm=suicide)

    crises = [item({"suicide_self_harm"}, "b", "crisis") for _ in range(300)]
    everyday = [item(set(), "everyday", "benign") for _ in range(200)]
    # crisis messages spread over 0.15 .. 0.99; one ordinary message in ten at 0.2, the rest at 0.01
    scores = [scored(0.15 + 0.84 * n / 299) for n in range(300)]
    scores += [scored(0.2 if n % 10 == 0 else 0.01) for n in range(200)]
    items = crises + everyday

    def asked() -> int:
        weak = train.choose_thresholds(items, scores).weak["suicide_self_harm"]
        assert weak <= 0.21  # no higher than the budget needs: crisis messages just above 0.2 are still asked
        return sum(s["suicide_self_harm"] >= weak for s, i in zip(scores, items, strict=True) if i.source == "everyday")

    assert asked() <= train.WEAK_EVERYDAY_BUDGET * len(everyday) < 20
    monkeypatch.setattr(train, "WEAK_EVERYDAY_BUDGET", 1.0)  # no budget: recall alone asks all twenty
    assert asked() == 20


def test_the_faint_threshold_gives_the_quiet_line_to_few_everyday_messages_and_stays_under_the_check_in(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def item(source: str) -> train.Item:
        return train.Item(words=("x",), cats=frozenset(), source=source, group="benign")

    def scored(ask: float) -> dict[str, float]:
        return dict(dict.fromkeys(MODEL_LABELS, 0.0), ask_suicide=ask)

    weak = dict.fromkeys(MODEL_LABELS, 0.3)
    # 100 everyday messages read from 0.00 to 0.99; the 70 at 0.3 or more are asked, so not counted
    items, scores = [item("everyday") for _ in range(100)], [scored(n / 100) for n in range(100)]
    faint = train.choose_faint(items, scores, weak)
    given_the_line = sum(faint <= s["ask_suicide"] < 0.3 for s in scores)
    assert given_the_line <= train.FAINT_EVERYDAY_BUDGET * 30 < 2 and faint < 0.3
    monkeypatch.setattr(train, "FAINT_EVERYDAY_BUDGET", 0.5)
    faint = train.choose_faint(items, scores, weak)
    assert sum(faint <= s["ask_suicide"] < 0.3 for s in scores) == 15  # half of the 30 not asked
    monkeypatch.setattr(train, "FAINT_EVERYDAY_BUDGET", 1.0)
    assert train.choose_faint(items, scores, weak) == train.WEAK_FLOOR  # never at nothing: a floor
    assert train.choose_faint(items, scores, dict.fromkeys(MODEL_LABELS, 0.01)) <= 0.01  # never above the check-in


def test_a_weak_hit_is_low_confidence_and_asks_instead_of_sending_999(check: SafetyCheck) -> None:
    assert check.model is not None
    thresholds = check.model.thresholds
    scores = dict.fromkeys(MODEL_LABELS, 0.0)
    label = "suicide_self_harm"
    scores[label] = (thresholds.weak[label] + thresholds.fire[label]) / 2
    verdict = check.combine(get_classifier().classify(ORDINARY), scores, thresholds)
    assert verdict.labels == frozenset() and verdict.low_confidence == {label}
    assert verdict.check_in == "suicide" and verdict.layer == CHECK_IN


@pytest.mark.parametrize(("label", "kind"), [
    ("suicide_self_harm", "suicide"), ("ask_suicide", "suicide"),
    ("immediate_danger", "safety"), ("ask_safety", "safety"),
])
def test_a_sign_too_faint_to_ask_about_gets_a_quiet_line_of_help_and_nothing_more(
        check: SafetyCheck, label: str, kind: str) -> None:
    assert check.model is not None
    thresholds = check.model.thresholds
    asked_from = min(thresholds.weak[name] for name in CHECK_IN_FOR)
    faint = thresholds.faint
    assert faint is not None and 0.05 <= faint < asked_from  # chosen at training, under the check-in
    scores = dict.fromkeys(MODEL_LABELS, 0.0)
    scores[label] = (faint + asked_from) / 2
    verdict = check.combine(get_classifier().classify(ORDINARY), scores, thresholds)
    assert verdict.faint == kind
    assert verdict.labels == frozenset() and verdict.check_in is None and verdict.low_confidence == frozenset()
    scores[label] = faint - 0.01  # fainter still: an ordinary answer, nothing added
    assert check.combine(get_classifier().classify(ORDINARY), scores, thresholds).faint is None


def test_a_sentence_of_distress_beside_a_question_gets_the_quiet_line(check: SafetyCheck) -> None:
    """A question read with a sentence of distress dilutes it; a sentence that alone would be asked about still
    gets the quiet line of help under the answer to the question, and nothing more (no question, no 999)."""
    for text in ("i dont want to be here. how do i make a formal report",
                 "i feel hopeless. what does the policy say about appeals",
                 "how long does an investigation take? i just want to disappear"):
        verdict = check.assess(text)
        assert verdict.faint in ("suicide", "safety")
        assert verdict.labels == frozenset() and verdict.check_in is None
    for text in ("how do i make a formal report? thanks", "hi. can i appeal a decision. who do i email",
                 "i passed my exams. what happens next with my report"):
        assert check.assess(text).faint is None


def test_a_sentence_is_read_alone_without_the_mark_that_ends_it(check: SafetyCheck) -> None:
    """A lone full stop weighs like a word in a bag of words: "hi." once read like distress, and gave the quiet line
    to "hi. can i appeal a decision. who do i email"."""
    words = get_classifier().words("hi. can i appeal a decision?! who do i email")
    assert short_sentences(words) == [["hi"], ["can", "i", "appeal", "a", "decision"], ["who", "do", "i", "email"]]
    assert short_sentences(["?", "...", "!"]) == []  # marks alone are no sentence
    assert short_sentences(["word"] * (WINDOW + 1)) == []  # read by sentence already
    assert check.assess("hi. can i appeal a decision. who do i email").faint is None


def test_a_sentence_read_alone_gives_the_quiet_line_only_where_the_whole_message_found_nothing(
        check: SafetyCheck) -> None:
    assert check.model is not None
    thresholds = check.model.thresholds
    quiet = dict.fromkeys(MODEL_LABELS, 0.0)
    asked = {**quiet, "ask_suicide": thresholds.weak["suicide_self_harm"]}
    read: list[int] = []

    def sentences(rows: list[dict[str, float]]) -> Callable[[], list[dict[str, float]]]:
        def read_them() -> list[dict[str, float]]:
            read.append(1)
            return rows
        return read_them

    ordinary = get_classifier().classify("what is the deadline. can i appeal")
    assert check.combine(ordinary, quiet, thresholds, sentences([quiet, asked])).faint == "suicide"
    danger = {**quiet, "immediate_danger": thresholds.weak["immediate_danger"]}
    assert check.combine(ordinary, quiet, thresholds, sentences([danger, quiet])).faint == "safety"
    assert check.combine(ordinary, quiet, thresholds, sentences([quiet, quiet])).faint is None
    under = {**quiet, "ask_suicide": thresholds.weak["suicide_self_harm"] - 0.01}
    assert check.combine(ordinary, quiet, thresholds, sentences([under])).faint is None
    read.clear()
    verdict = check.combine(ordinary, asked, thresholds, sentences([asked]))  # the whole message is asked about
    assert verdict.check_in == "suicide" and verdict.faint is None and not read  # its sentences are never read
    ruled = check.combine(get_classifier().classify("i want to kill myself. can i appeal"), quiet, thresholds,
                          sentences([asked]))
    assert (ruled.labels or ruled.check_in) and ruled.faint is None and not read
    long = Scores(quiet, quiet, 3)  # read by sentence already: nothing read again
    assert check.combine(ordinary, long, thresholds, sentences([asked])).faint is None and not read
    idiom = get_classifier().classify("i want to die my hair pink. is the salon open")
    label_only = {**quiet, "suicide_self_harm": thresholds.weak["suicide_self_harm"]}
    assert check.combine(idiom, quiet, thresholds, sentences([label_only])).faint is None  # the rules' idiom


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(["i dont want to be here", "how do i report", "?", ".", "😢", "‮", "hello",
                                 "what is the point", "i", "appeal", "!!!", "\n", "x" * 50]), max_size=40))
def test_whatever_the_sentences_a_short_message_keeps_one_verdict_and_never_loses_a_label(
        check: SafetyCheck, words: list[str]) -> None:
    text = " ".join(words)
    verdict = check.assess(text)
    scores = check.model_scores(text)
    if check.model is not None and scores is not None:
        whole = check.combine(get_classifier().classify(text), scores, check.model.thresholds)
        assert verdict.labels == whole.labels and verdict.check_in == whole.check_in  # sentences add the line only
    if verdict.faint is not None:
        assert not verdict.labels and verdict.check_in is None
    assert sum(len(s) for s in short_sentences(get_classifier().words(text))) <= WINDOW


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(st.sampled_from(["i", "dont", "want", "to", "be", "here", "?", ".", "appeal", "😢", "2",
                                          "kill", "report", "\u202e", "x" * 30]), max_size=WINDOW),
                max_size=8))
def test_sentences_read_together_score_as_each_would_alone(safety_model: RiskModel, messages: list[list[str]]) -> None:
    together = safety_model.scores_each(messages)
    assert len(together) == len(messages)
    for words, scores in zip(messages, together, strict=True):
        alone = safety_model.scores(words)
        assert scores.keys() == alone.keys()
        assert all(abs(scores[label] - alone[label]) < 1e-5 for label in alone)


def test_reading_together_refuses_a_message_too_long_to_read_whole(safety_model: RiskModel) -> None:
    with pytest.raises(ValueError, match="whole"):
        safety_model.scores_each([["word"] * (WINDOW + 1)])


def test_when_the_model_breaks_on_a_sentence_the_whole_messages_verdict_stands(
        check: SafetyCheck, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    assert check.model is not None
    text = "i dont want to be here. how do i make a formal report"
    whole = check.assess(text)

    def breaks(messages: Sequence[Sequence[str]]) -> list[dict[str, float]]:
        raise RuntimeError("boom")

    monkeypatch.setattr(check.model, "scores_each", breaks)
    with caplog.at_level(logging.ERROR):
        verdict = check.assess(text)
    assert verdict.labels == whole.labels and verdict.check_in == whole.check_in and verdict.faint is None
    assert "failed on a sentence" in caplog.text and "formal report" not in caplog.text


def test_a_label_a_check_in_or_a_bare_ok_is_never_faint(check: SafetyCheck) -> None:
    assert check.model is not None and check.model.thresholds.faint is not None
    thresholds, faint = check.model.thresholds, check.model.thresholds.faint
    scores = dict.fromkeys(MODEL_LABELS, 0.0)
    scores["ask_suicide"] = thresholds.weak["suicide_self_harm"]  # asked: the question gives the number
    assert check.combine(get_classifier().classify(ORDINARY), scores, thresholds).faint is None
    scores["ask_suicide"] = (faint + thresholds.weak["suicide_self_harm"]) / 2
    ruled = check.combine(get_classifier().classify("im 15 and i want to kill myself"), scores, thresholds)
    assert ruled.labels and ruled.faint is None  # a label's answer gives 999 at once
    assert check.combine(get_classifier().classify("ok"), scores, thresholds).faint is None  # as for the check-in
    idiom = get_classifier().classify("i want to die my hair pink")
    scores = dict.fromkeys(MODEL_LABELS, 0.0)
    scores["suicide_self_harm"] = (faint + thresholds.weak["suicide_self_harm"]) / 2
    assert check.combine(idiom, scores, thresholds).faint is None  # the rules read it as an idiom


@settings(max_examples=300, deadline=None)
@given(st.fixed_dictionaries({label: st.floats(0.0, 1.0) for label in MODEL_LABELS}),
       st.sampled_from([ORDINARY, "ok", "i want to kill myself", "i'm not going to hurt myself", "",
                        "he is outside my door", "\u200bi\u202ewant 2 dye"]))
def test_a_faint_sign_is_only_ever_given_where_nothing_else_answers(
        check: SafetyCheck, scores: dict[str, float], text: str) -> None:
    assert check.model is not None
    verdict = check.combine(get_classifier().classify(text), scores, check.model.thresholds)
    if verdict.faint is not None:
        assert not verdict.labels and verdict.check_in is None
    back = Verdict.from_metadata(json.loads(json.dumps(verdict.to_metadata())), check.labels)
    assert back is not None and back.to_metadata() == verdict.to_metadata() and back.faint == verdict.faint


@pytest.mark.parametrize("faint", ["bogus", 3, ["suicide"], {"kind": "safety"}])
def test_a_faint_sign_that_is_not_a_known_kind_is_refused_when_read_back(faint: object) -> None:
    raw = {**Verdict(faint="suicide").to_metadata(), "faint": faint}
    assert Verdict.from_metadata(raw, ["suicide_self_harm"]) is None


def test_a_negation_the_rules_dropped_is_not_fired_by_the_model(check: SafetyCheck) -> None:
    """A bag of words cannot read "not": where the rules dropped a hit for a negation, the model only informs."""
    assert check.model is not None
    scores = dict.fromkeys(MODEL_LABELS, 0.99)
    rules = get_classifier().classify("i'm not going to hurt myself")
    assert "suicide_self_harm.self_harm:negation" in rules.suppressed
    verdict = check.combine(rules, scores, check.model.thresholds)
    assert "suicide_self_harm" not in verdict.labels and "suicide_self_harm" in verdict.low_confidence


def test_an_idiom_the_rules_dropped_is_left_to_the_model(check: SafetyCheck) -> None:
    """The rules' idiom contexts are broad ("keeps following me" reads like a turn of phrase to them): the model,
    which learnt idioms from hundreds of look-alikes, decides, both ways."""
    following = "a man keeps following me home from the bus stop and hes right behind me now"
    assert "immediate_danger.present_now:idiom" in get_classifier().classify(following).suppressed
    assert "immediate_danger" in check.assess(following).labels
    hair = "i want to die my hair pink"
    assert "suicide_self_harm.want_to_die:idiom" in get_classifier().classify(hair).suppressed
    assert not check.assess(hair).flagged and check.assess(hair).check_in is None


def test_a_model_verdict_survives_the_trip_through_message_metadata(check: SafetyCheck) -> None:
    for text in ("i just wish i wasnt alive anymore", "i dont know how much longer i can keep doing this", "hello"):
        verdict = check.assess(text)
        back = Verdict.from_metadata(json.loads(json.dumps(verdict.to_metadata())), check.labels)
        assert back is not None
        assert back.to_metadata() == verdict.to_metadata()
        assert (back.labels, back.check_in, back.low_confidence, back.layer) == (
            verdict.labels, verdict.check_in, verdict.low_confidence, verdict.layer)


def test_without_a_model_the_service_starts_on_the_rules_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv("SAFETY_MODEL_PATH", str(tmp_path / "never-built"))
    get_safety_check.cache_clear()
    try:
        with caplog.at_level(logging.WARNING):
            check = get_safety_check()
        assert check.model is None
        assert "rules alone" in caplog.text and "safety.train" in caplog.text
        assert check.assess("i want to kill myself").labels == {"suicide_self_harm"}
        assert check.assess("i just wish i wasnt alive anymore").layer is None  # what the model would add
    finally:
        get_safety_check.cache_clear()


def test_an_unreadable_model_is_treated_as_missing(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    (tmp_path / "safety.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(ModelMissing):
        RiskModel.load(tmp_path)
    assert load_model(str(tmp_path)) is None


def _copy_of(model: RiskModel, tmp_path: Path) -> Path:
    """A copy of the trained model's directory, to break one thing in."""
    import shutil

    assert model.directory is not None
    return Path(shutil.copytree(model.directory, tmp_path / "copy"))


def test_the_model_scores_its_probes_here_as_it_did_where_it_was_trained(safety_model: RiskModel) -> None:
    """This file runs in both environments: the service's (where the model is trained) and the assistant's (older
    spaCy and scikit-learn). Loading checks the probe scores saved at training; here they are checked again."""
    saved = safety_model.info["probes"]
    assert len(saved) == 4 and saved[0]["suicide_self_harm"] > 0.5 and saved[2]["suicide_self_harm"] < 0.1
    safety_model.check_probes(saved)


def test_a_model_that_scores_differently_where_it_is_loaded_is_refused_and_the_rules_run(
    safety_model: RiskModel, tmp_path: Path,
) -> None:
    directory = _copy_of(safety_model, tmp_path)
    settings = json.loads((directory / "safety.json").read_text(encoding="utf-8"))
    settings["probes"][1]["immediate_danger"] -= 0.01
    (directory / "safety.json").write_text(json.dumps(settings), encoding="utf-8")
    with pytest.raises(ModelMissing, match="scores differently here"):
        RiskModel.load(directory)
    assert load_model(str(directory)) is None


def test_letter_runs_stay_inside_words_and_share_most_of_a_spelling() -> None:
    from safety.model import letter_runs

    assert len(letter_runs("ab cd")) == 6  # " ab", "ab ", " ab " and the same for cd: nothing across the space
    assert sorted(letter_runs("ab  cd")) == sorted([*letter_runs("ab"), *letter_runs("CD")])
    kill, kil = set(letter_runs("kill")), set(letter_runs("kil"))
    assert len(kill & kil) >= 3 and set(letter_runs("kill")) <= set(letter_runs("i want to kill"))
    assert len(letter_runs("")) == 0 and len(letter_runs("\U0001f48a\U0001f48a")) == 3  # emoji are letters here


@functools.cache
def _random_letter_model():
    import numpy as np

    from safety.model import LETTER_BITS, LetterModel

    rng = np.random.default_rng(5)
    return LetterModel(rng.normal(0, 0.5, (len(MODEL_LABELS), 1 << LETTER_BITS)), rng.normal(0, 1, len(MODEL_LABELS)))


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(st.text(max_size=12) | st.sampled_from(["kill", "myself", "\U0001f48a", "x", "İ", ""]),
                         max_size=12), min_size=1, max_size=8))
def test_a_long_message_is_scored_by_its_letters_as_each_part_would_be_alone(parts: list[list[str]]) -> None:
    """A long message's parts are scored by the letter model in one pass; each part's scores are those it gets
    read on its own (odd characters, empty parts and words that change length in lower case included)."""
    import numpy as np

    from safety.model import LetterModel, letter_vector

    model = _random_letter_model()
    for row, part in zip(model.predict(parts), parts, strict=True):
        indices, values = letter_vector(LetterModel.text(part))
        alone = values @ model._weights[indices].astype(float) + model.intercept
        assert np.allclose(row, 1.0 / (1.0 + np.exp(-np.clip(alone, -30.0, 30.0))), rtol=0, atol=1e-12)


@pytest.mark.parametrize(("stretched", "plain"), [
    ("bleedingggg from my wrists", "bleeding from my wrists"),
    ("pleaseeee helppp hes outsideee", "please help hes outside"),
    ("i cant dooo thisss anymoreeee", "i cant do this anymore"),
])
def test_a_stretched_message_gets_the_verdict_of_its_plain_spelling(check: SafetyCheck, stretched: str,
                                                                    plain: str) -> None:
    """Both layers read a word stretched for feeling as the word: the same scores, the same answer."""
    assert check.model_scores(stretched) == check.model_scores(plain)
    assert check.assess(stretched) == check.assess(plain)


def test_a_model_without_its_letter_model_is_refused(safety_model: RiskModel, tmp_path: Path) -> None:
    directory = _copy_of(safety_model, tmp_path)
    (directory / "letters.npz").unlink()
    with pytest.raises(ModelMissing, match=r"letters\.npz"):
        RiskModel.load(directory)


@pytest.mark.parametrize(("text", "label"), [
    ("cuttn agen", "suicide_self_harm"),  # the bag of words alone sees almost nothing
    ("swalowed the hole packet of pilz", "suicide_self_harm"),
])
def test_a_spelling_no_word_list_has_is_read_by_its_letters(safety_model: RiskModel, text: str, label: str) -> None:
    """The letters read a spelling the bag of words never met as the word it is: the label's score rises well above
    what the words alone give it, and the student gets the label's answer or its question (which gives the numbers)."""
    rules = get_classifier()
    assert not rules.classify(text).labels  # no rule, and no typo repair, reads it
    without_letters = SafetyCheck(rules, RiskModel(safety_model._nlp, safety_model.thresholds, safety_model.info))
    with_letters = SafetyCheck(rules, safety_model)
    helped = with_letters.assess(text)
    assert label in helped.labels or helped.check_in == CHECK_IN_FOR[label]
    words_alone, mixed = without_letters.model_scores(text), with_letters.model_scores(text)
    assert words_alone is not None and mixed is not None
    assert mixed[label] >= words_alone[label] + 0.1


def test_when_the_model_breaks_the_rules_verdict_stands_and_no_text_is_logged(
    check: SafetyCheck, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
) -> None:
    assert check.model is not None
    monkeypatch.setattr(check.model, "scores", lambda words: 1 / 0)
    verdict = check.assess("my secret words: i want to kill myself")
    assert verdict.labels == {"suicide_self_harm"} and verdict.layer == RULE
    assert "ZeroDivisionError" in caplog.text and "secret" not in caplog.text


def test_a_crisis_sentence_inside_a_long_message_is_still_read_by_the_model(check: SafetyCheck) -> None:
    ordinary = "The lecture ran late and the library was full. I need to ask about my timetable for next term. " * 5
    text = ordinary + "i just wish i wasnt alive anymore. " + ordinary
    assert not get_classifier().classify(text).flagged
    assert "suicide_self_harm" in check.assess(text).labels


def test_an_ordinary_sentence_said_many_times_does_not_pile_up_into_a_crisis(check: SafetyCheck) -> None:
    sentence = "I have been meaning to write about my course and my flat for weeks. "
    assert not check.assess(sentence).flagged
    assert not check.assess(sentence * 30).flagged


def test_a_long_message_is_read_by_sentence_and_a_long_sentence_in_stretches() -> None:
    from safety.model import WINDOW, windows

    short = ["i", "am", "ok"]
    assert windows(short) == [short]
    sentences = (["the", "library", "was", "full", "."] * 10) + ["help", "me"]
    parts = windows(sentences)
    assert parts[0] == ["the", "library", "was", "full", "."] and parts[-1] == ["help", "me"]
    run_on = [f"w{n}" for n in range(WINDOW * 2 + 7)]
    stretches = windows(run_on)
    assert all(len(part) == WINDOW for part in stretches) and stretches[-1][-1] == run_on[-1]
    assert {word for part in stretches for word in part} == set(run_on)


def test_a_long_message_is_scored(check: SafetyCheck) -> None:
    text = ("the lecture ran late and the library was full. " * 60)[:2000] + " i just wish i wasnt alive anymore"
    verdict = check.assess(text)
    assert verdict.layer in (None, MODEL, CHECK_IN, RULE)  # scored without error; the rules still run


def test_training_is_deterministic_for_a_seed() -> None:
    items = train.load_items(get_classifier().words)[::8]
    first = train.predict(train.fit(items, seed=3, epochs=2), items[:20])
    second = train.predict(train.fit(items, seed=3, epochs=2), items[:20])
    assert first == second


def _item(text: str, cats: tuple[str, ...] = (), source: str = "batch_01", group: str = "crisis") -> train.Item:
    return train.Item(tuple(text.split()), frozenset(cats), source, group)


def _parts(made: train.Item, labelled: list[train.Item], everyday: list[train.Item]) -> tuple[train.Item, train.Item]:
    """The labelled message and the everyday one a two-part message was made of (in either order)."""
    for one in labelled:
        for other in everyday:
            for first, second in ((one.words, other.words), (other.words, one.words)):
                if made.words in ((*first, ".", *second), (*first, *second)):
                    return one, other
    raise AssertionError("a two-part message was not made of one labelled and one everyday message")


def test_a_crisis_told_beside_an_ordinary_question_is_learnt_with_its_labels() -> None:
    """Students tell and ask in one message; the model learns from such messages made of its own data, and the
    question never changes what the crisis part is labelled."""
    labelled = [_item(f"i want to end it all tonight {n}", ("suicide_self_harm",)) for n in range(200)]
    labelled += [_item(f"this essay is killing me {n}", (), "batch_02", "lookalike") for n in range(200)]
    everyday = [_item(f"how do i make a formal report {n} ?", (), "everyday", "benign") for n in range(50)]
    items = [*labelled, *everyday]
    out = train.with_composites(items, seed=1, share=0.3)
    assert out[: len(items)] == items  # nothing the model learnt from before is lost or changed
    made = out[len(items):]
    assert 0.2 * len(labelled) < len(made) < 0.4 * len(labelled)
    orders = set()
    for item in made:
        one, _ = _parts(item, labelled, everyday)
        assert (item.cats, item.source, item.group) == (one.cats, one.source, one.group)
        assert len(item.words) <= WINDOW  # read whole, as the service reads a message this long
        orders.add(item.words[0] == one.words[0])
    assert orders == {True, False}  # the question comes first in some, after in others
    assert {i.group for i in made} == {"crisis", "lookalike"}  # look-alikes too: a second part teaches no risk
    assert train.with_composites(items, seed=1, share=0.3) == out  # the same data for a seed
    assert train.with_composites(items, seed=1, share=0.0) == items
    assert train.with_composites(labelled, seed=1) == labelled  # no everyday messages, nothing to join


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.lists(st.text(min_size=1, max_size=8), min_size=0, max_size=60),
                          st.sampled_from(["everyday", "batch_01", "labelled"])), max_size=40))
def test_two_part_messages_are_made_only_from_the_data_given_and_never_too_long_to_read_whole(
    raw: list[tuple[list[str], str]],
) -> None:
    """Each fold's model makes its two-part messages from its own training data only, so no part of a message it is
    judged on reaches it; and whatever the words, every made message is read whole."""
    items = [train.Item(tuple(words), frozenset(), source, "crisis" if source != "everyday" else "benign")
             for words, source in raw]
    made = train.with_composites(items, seed=0, share=1.0)[len(items):]
    words = {w for item in items for w in item.words}
    for item in made:
        assert len(item.words) <= WINDOW and item.source != "everyday"
        assert set(item.words) <= words | {"."}


def test_the_training_data_never_includes_the_held_out_or_blind_sets() -> None:
    files = train.training_files()
    names = {path.name for path in files}
    assert "heldout.yml" not in names and not any(path.parent.name == "blind" for path in files)
    assert "everyday_heldout.yml" not in names
    assert {"labelled.yml", "batch_01.yml", "batch_04.yml"} <= names


def test_each_batch_is_judged_by_models_that_never_read_any_of_it() -> None:
    """Thresholds and the before-training figures are honest only if no batch is split across folds: otherwise a
    fold's model has read three quarters of the writer's phrasings, near-twins included, and scores look better."""
    items = train.load_items(get_classifier().words)
    folds = train.folds(items)
    assert sorted(n for fold in folds for n in fold) == list(range(len(items)))
    fold_of: dict[str, set[int]] = {}
    for k, fold in enumerate(folds):
        for n in fold:
            fold_of.setdefault(items[n].source, set()).add(k)
    batches = {name: ks for name, ks in fold_of.items() if name.startswith("batch")}
    assert len(batches) >= train.CV_FOLDS and all(len(ks) == 1 for ks in batches.values())
    assert len(fold_of["labelled"]) == train.CV_FOLDS  # the labelled set is dealt across every fold


@pytest.mark.parametrize("text", ["?????", "?" * 2000, "...", "!!! ??", "99.99.99.99", "1 2 3", "\u2026"])
def test_marks_and_numbers_alone_get_no_answer_from_the_model(check: SafetyCheck, text: str) -> None:
    """A confused "???" once got the assault and danger answers from the model (found by sending odd messages
    through the real assistant): with no word in it, only the rules decide, and they find nothing."""
    verdict = check.assess(text)
    assert not verdict.labels and verdict.check_in is None and not verdict.low_confidence


def test_a_crisis_wrapped_in_marks_is_still_caught(check: SafetyCheck) -> None:
    wrapped = check.assess("??? kms ???")
    assert wrapped.labels == {"suicide_self_harm"}  # six question marks once read as an assault
    assert check.assess("kms ?!?!?!?!?!?!?!?!").labels == {"suicide_self_harm"}
    assert "suicide_self_harm" in check.assess("... pills. all of them ...").labels


@pytest.mark.parametrize("repeat", [10, 20, 28])
def test_a_clear_statement_at_the_end_of_a_long_message_keeps_its_emergency_answer(check: SafetyCheck,
                                                                                   repeat: int) -> None:
    """The confirm floors judge a hit from the whole message's score: 300 words of other things once drowned
    "i want to kill myself" into a check-in question (found when a model retrained on more data scored it 0.01)."""
    text = "i keep thinking about what happened and i do not know who to tell. " * repeat + "i want to kill myself"
    assert len(text) <= 2000  # the longest message a student can send
    assert "suicide_self_harm" in check.assess(text).labels


def test_a_run_of_marks_reads_once_and_words_are_never_dropped() -> None:
    assert model_words(("?", "?", "?", "kill", "myself", "?", "?")) == ("?", "kill", "myself", "?")
    assert model_words(("no", "no", "no", "!", "!")) == ("no", "no", "no", "!")  # repeated words still count
    assert model_words(("?", "!", "?", "!", "help")) == ("?", "help")
    # a line break (read as ".") after a bracket still ends the sentence; emoji are words and stay
    assert model_words(("awful", ":", "(", ".", "he", "is", "here")) == ("awful", ".", "he", "is", "here")
    assert model_words(("outside", "😭", "😭", ".", "help")) == ("outside", "😭", "😭", ".", "help")


def _long_message_scores(best: dict[str, float], second: dict[str, float]) -> Scores:
    """The model's reading of a message of five sentences: each label's best and second-best sentence."""
    return Scores({**dict.fromkeys(MODEL_LABELS, 0.0), **best}, {**dict.fromkeys(MODEL_LABELS, 0.0), **second},
                  parts=5)


def test_one_unsure_sentence_of_a_long_message_asks_about_suicide_instead_of_answering_for_it(
        check: SafetyCheck) -> None:
    """A long ordinary message read a sentence at a time: one sentence the model is not sure of, with nothing else
    in the message bearing it out, gets the direct question, not the suicide answer; officers still see it."""
    assert check.model is not None
    thresholds = check.model.thresholds
    label = "suicide_self_harm"
    unsure = (thresholds.fire[label] + LONG_SURE) / 2
    ordinary = get_classifier().classify(ORDINARY)
    verdict = check.combine(ordinary, _long_message_scores({label: unsure}, {label: 0.1}), thresholds)
    assert verdict.labels == frozenset() and verdict.check_in == "suicide"
    assert verdict.low_confidence == {label} and verdict.layer == CHECK_IN
    # The same score in a short message, a sure sentence, or a second sentence that bears it out: the answer.
    assert label in check.combine(ordinary, Scores({**dict.fromkeys(MODEL_LABELS, 0.0), label: unsure}),
                                  thresholds).labels
    assert label in check.combine(ordinary, _long_message_scores({label: LONG_SURE}, {label: 0.1}),
                                  thresholds).labels
    assert label in check.combine(ordinary, _long_message_scores({label: unsure}, {label: LONG_BORNE_OUT}),
                                  thresholds).labels


def test_one_unsure_sentence_of_a_long_message_asks_whether_they_are_safe_instead_of_the_assault_answer(
        check: SafetyCheck) -> None:
    """"I'm so sorry this happened" is not said to a long message about a weekend from one sentence the model is not
    sure of: the student is asked whether they are safe right now (with 999), and officers see the reading."""
    assert check.model is not None
    thresholds = check.model.thresholds
    label = "recent_sexual_assault"
    sure, borne_out, kind = LONG_ASKED[label]
    unsure = (thresholds.fire[label] + sure) / 2
    ordinary = get_classifier().classify(ORDINARY)
    verdict = check.combine(ordinary, _long_message_scores({label: unsure}, {label: 0.05}), thresholds)
    assert verdict.labels == frozenset() and verdict.check_in == kind == "safety"
    assert verdict.low_confidence == {label} and verdict.layer == CHECK_IN
    # A short message, a sure sentence, a second sentence that bears it out, or the rules: the answer.
    assert label in check.combine(ordinary, Scores({**dict.fromkeys(MODEL_LABELS, 0.0), label: unsure}),
                                  thresholds).labels
    assert label in check.combine(ordinary, _long_message_scores({label: sure}, {label: 0.05}), thresholds).labels
    assert label in check.combine(ordinary, _long_message_scores({label: unsure}, {label: borne_out}),
                                  thresholds).labels
    told = get_classifier().classify("he raped me last night")
    assert label in told.labels
    assert label in check.combine(told, _long_message_scores({label: unsure}, {label: 0.05}), thresholds).labels


@pytest.mark.parametrize("text", ["ok", "ok.", "OK", "fine", "Fine!!", "im ok", "I'm okay", "ok ok", "yeah"])
def test_a_bare_acknowledgement_is_never_asked_about_suicide(check: SafetyCheck, text: str) -> None:
    """The model learnt "not ok" as distress and read a bare "ok" as the start of it: "ok" was asked "are you
    thinking about suicide?" (found through the SMS queue, where the service asks the check-in itself)."""
    verdict = check.assess(text)
    assert verdict.check_in is None and not verdict.labels


@pytest.mark.parametrize("text", ["not ok", "im not ok", "i'm not fine", "nothing is ok", "im ok 💔"])
def test_not_ok_is_still_asked(check: SafetyCheck, text: str) -> None:
    assert check.assess(text).check_in == "suicide"


@pytest.mark.parametrize(("text", "asked"), [
    ("im ok 💔", True), ("fine :(", True), ("I'm fine. 😔", True), ("ok :'(", True), ("all good 💔💔", True),
    ("okay ☹️", True), ("ok :)", False), ("ok 😂", False), ("no :(", False), ("thanks 💔", False), ("hi :(", False),
    ("💔", False), ("im ok", False),
])
def test_i_am_fine_said_with_a_sign_that_it_is_not_is_always_asked(check: SafetyCheck, text: str, asked: bool) -> None:
    """Crisis lines are trained to hear "I'm fine 💔": asked the suicide question however little the model reads in it
    (the model of 77 batches asked "im ok 💔" by its weak sign, the next one did not)."""
    assert check.model is not None
    nothing = Scores(dict.fromkeys(MODEL_LABELS, 0.0))
    verdict = check.combine(get_classifier().classify(text), nothing, check.model.thresholds)
    assert (verdict.check_in == "suicide") is asked and not verdict.labels
    assert (check.assess(text).check_in == "suicide") is asked


@pytest.mark.parametrize(("text", "asked"), [("fine", False), ("ok.", False), ("fine 🙃", True), ("im ok 💔", True),
                                             ("not ok", True), ("ok then bye forever", True)])
def test_only_a_bare_reply_is_spared_a_weak_sign(check: SafetyCheck, text: str, asked: bool) -> None:
    """Whatever the model makes of an emoji, a reply with one is not bare: a weak sign of suicide still asks."""
    assert check.model is not None
    thresholds = check.model.thresholds
    middle = (thresholds.weak["suicide_self_harm"] + thresholds.fire["suicide_self_harm"]) / 2
    weak = Scores({**dict.fromkeys(MODEL_LABELS, 0.0), "suicide_self_harm": middle})
    verdict = check.combine(get_classifier().classify(text), weak, thresholds)
    assert (verdict.check_in == "suicide") is asked


def test_a_bare_acknowledgement_with_a_crisis_in_it_is_answered(check: SafetyCheck) -> None:
    assert check.assess("ok i want to die").labels == {"suicide_self_harm"}
    assert check.model is not None
    ordinary = get_classifier().classify("ok")
    weak = {**dict.fromkeys(MODEL_LABELS, 0.0), "suicide_self_harm": 0.99}
    assert check.combine(ordinary, Scores(weak), check.model.thresholds).labels == {"suicide_self_harm"}


def test_danger_in_a_long_message_is_never_held_back_for_a_question(check: SafetyCheck) -> None:
    """"Are you safe right now?" gives 999 but not the danger answer: a long message read as danger gets the answer."""
    assert check.model is not None
    thresholds = check.model.thresholds
    label = "immediate_danger"
    unsure = (thresholds.fire[label] + LONG_SURE) / 2
    verdict = check.combine(get_classifier().classify(ORDINARY),
                            _long_message_scores({label: unsure}, {label: 0.0}), thresholds)
    assert verdict.labels == {label}


def test_the_model_reads_a_long_message_by_sentence_and_keeps_each_labels_two_best(check: SafetyCheck) -> None:
    assert check.model is not None
    sentences = [
        "I have been meaning to write this for a while because our flat has had problems since September.",
        "The landlord keeps saying he will fix the boiler and then nobody comes round for weeks at a time.",
        "My housemates and I have been boiling the kettle to wash which is getting old very quickly now.",
        "Can the college tell me whether I am allowed to withhold rent until the heating is actually fixed?",
    ]
    words = check.rules.words(" ".join(sentences))
    assert len(words) > WINDOW
    scores = check.model.scores(words)
    assert scores.parts == len(sentences)
    short = check.model.scores(check.rules.words(sentences[0]))
    assert short.parts == 1 and all(v == 0.0 for v in short.second.values())
    for label in MODEL_LABELS:
        assert 0.0 <= scores.second[label] <= scores[label] <= 1.0
        assert scores[label] == pytest.approx(max(check.model.scores(check.rules.words(s))[label] for s in sentences))


def test_danger_fires_sooner_in_a_short_message_than_in_one_read_sentence_by_sentence(check: SafetyCheck) -> None:
    """A short message the model reads as danger gets 999 at the lower threshold; a long one, where each sentence
    is another chance of an ordinary one scoring like danger, needs the higher one, and below it is asked."""
    assert check.model is not None
    thresholds = check.model.thresholds
    label = "immediate_danger"
    assert thresholds.fire[label] < thresholds.firing(label, parts=5) == thresholds.fire_long[label]
    between = (thresholds.fire[label] + thresholds.fire_long[label]) / 2
    ordinary = get_classifier().classify(ORDINARY)
    assert label in check.combine(ordinary, Scores({**dict.fromkeys(MODEL_LABELS, 0.0), label: between}),
                                  thresholds).labels
    long = check.combine(ordinary, _long_message_scores({label: between}, {label: 0.0}), thresholds)
    assert long.labels == frozenset() and long.check_in == "safety" and long.low_confidence == {label}


def test_long_message_thresholds_are_read_back_and_refused_when_malformed() -> None:
    fire = dict.fromkeys(MODEL_LABELS, 0.5)
    read = Thresholds.from_json({"fire": fire, "weak": fire, "fire_long": {"immediate_danger": 0.6}})
    assert read.firing("immediate_danger", 1) == 0.5 and read.firing("immediate_danger", 3) == 0.6
    assert read.firing("under_18", 3) == 0.5
    assert Thresholds.from_json({"fire": fire, "weak": fire}).fire_long == {}  # a model saved before them
    assert Thresholds.from_json({"fire": fire, "weak": fire}).faint is None  # ... or before the faint sign
    assert Thresholds.from_json({"fire": fire, "weak": fire, "faint": 0.2}).faint == 0.2
    for wrong in (0, -1, 1.5, "0.2", True, [0.2]):
        with pytest.raises(ValueError, match="faint"):
            Thresholds.from_json({"fire": fire, "weak": fire, "faint": wrong})
    for bad in ({"nonsense": 0.5}, {"immediate_danger": 0.0}, {"immediate_danger": "high"}, ["immediate_danger"]):
        with pytest.raises((ValueError, TypeError)):
            Thresholds.from_json({"fire": fire, "weak": fire, "fire_long": bad})


def test_whatever_the_scores_and_length_a_danger_or_suicide_reading_is_never_left_unanswered(
        check: SafetyCheck) -> None:
    """The long-message rules only ever turn an answer into a question: a danger or suicide score at its firing
    threshold always gets an emergency answer or a direct question (one question at a time: the strongest reading's),
    in a message of any length."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    assert check.model is not None
    thresholds = check.model.thresholds
    ordinary = get_classifier().classify(ORDINARY)
    score = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)

    @settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(best=st.fixed_dictionaries({label: score for label in MODEL_LABELS}),
           share=st.fixed_dictionaries({label: score for label in MODEL_LABELS}), parts=st.integers(1, 400))
    def run(best: dict[str, float], share: dict[str, float], parts: int) -> None:
        second = {label: best[label] * share[label] for label in MODEL_LABELS}  # never above the best
        verdict = check.combine(ordinary, Scores(best, second, parts), thresholds)
        assert verdict.labels <= set(MODEL_LABELS)
        for label in EMERGENCY:
            if best[label] >= thresholds.fire[label]:
                helped = bool(verdict.labels & EMERGENCY) or verdict.check_in is not None
                assert helped and label in verdict.labels | verdict.low_confidence, (label, parts, verdict)

    run()


def _small_training_file(directory: Path, share: int = 5) -> Path:
    """A small training file: every `share`-th message of the labelled set."""
    import yaml

    rows = yaml.safe_load(train.LABELLED_SET.read_text(encoding="utf-8"))[::share]
    path = directory / "labelled.yml"
    path.write_text(yaml.safe_dump(rows, allow_unicode=True), encoding="utf-8")
    return path


def test_thresholds_cross_validated_once_are_reused_for_the_same_data_and_give_the_same_model(
        tmp_path: Path) -> None:
    """Cross-validation trains four models to choose the thresholds; kept with a key of the data, code and libraries,
    a second training reuses them and saves the very model the cross-validation gave; --cross-validate chooses them
    again."""
    data = _small_training_file(tmp_path)
    kept = tmp_path / "cross_validated.json"
    lines: list[str] = []

    def trained(name: str, **how: object) -> dict[str, object]:
        lines.clear()
        out = train.train(tmp_path / name, files=[data], log=lines.append, epochs=1, **how)  # type: ignore[arg-type]
        return json.loads((out / "safety.json").read_text(encoding="utf-8"))

    def cross_validated() -> bool:
        said = [line for line in lines if line.startswith("thresholds ")]
        assert len(said) == 1
        return "-fold cross-validation" in said[0]

    first = trained("first", kept=kept)
    assert cross_validated() and json.loads(kept.read_text(encoding="utf-8"))["key"]
    second = trained("second", kept=kept)
    assert not cross_validated()
    assert second["thresholds"] == first["thresholds"] and second["probes"] == first["probes"]
    trained("forced", kept=kept, cross_validate=True)
    assert cross_validated()


def test_kept_thresholds_are_not_reused_for_other_data_or_from_a_broken_file(tmp_path: Path) -> None:
    """Any change to a training file, another seed, or a file cut short means the thresholds are chosen again."""
    data = _small_training_file(tmp_path)
    kept = tmp_path / "cross_validated.json"
    thresholds = Thresholds(fire=dict.fromkeys(MODEL_LABELS, 0.5), weak=dict.fromkeys(MODEL_LABELS, 0.3),
                            confirm={"suicide_self_harm": 0.1}, faint=0.2)
    key = train.cross_validation_key([data], seed=0)
    train.keep_cross_validated(key, thresholds, kept)
    assert train.cross_validated(key, kept) == thresholds
    assert train.cross_validation_key([data], seed=1) != key
    with data.open("a", encoding="utf-8") as more:
        more.write("- text: i am going to jump off the bridge tonight\n  labels: [suicide_self_harm]\n")
    assert train.cross_validation_key([data], seed=0) != key
    assert train.cross_validated(train.cross_validation_key([data], seed=0), kept) is None
    for broken in ('{"key": "', "[]", json.dumps({"key": key, "thresholds": {"fire": {"suicide_self_harm": 7}}}), ""):
        kept.write_text(broken, encoding="utf-8")
        assert train.cross_validated(key, kept) is None
    kept.unlink()
    assert train.cross_validated(key, kept) is None
