"""Behaviour of the risk classifier on crisis messages, look-alikes, negation and framing."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from safety.risk import NO_RISK, RiskClassifier, get_classifier


@pytest.fixture(scope="module")
def classifier() -> RiskClassifier:
    return get_classifier()


def labels(classifier: RiskClassifier, text: str) -> set[str]:
    return set(classifier.classify(text).labels)


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("he's outside my door and he won't go away", "immediate_danger"),
        ("my boyfriend is hitting me right now", "immediate_danger"),
        ("I'm not safe at home", "immediate_danger"),
        ("i cant get away from him", "immediate_danger"),
        ("he said he's going to kill me", "immediate_danger"),
        ("I want to kill myself", "suicide_self_harm"),
        ("I've taken an overdose", "suicide_self_harm"),
        ("i've been self-harming since it happened", "suicide_self_harm"),
        ("i dont want to be alive anymore", "suicide_self_harm"),
        ("i was raped last night", "recent_sexual_assault"),
        ("I think my drink was spiked tonight", "recent_sexual_assault"),
        ("I'm 15", "under_18"),
        ("i'm in year 10", "under_18"),
        ("I'm still at school", "under_18"),
    ],
)
def test_crisis_messages_raise_their_label(classifier: RiskClassifier, text: str, label: str) -> None:
    assert label in labels(classifier, text)


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("kms", "suicide_self_harm"),
        ("i wanna die", "suicide_self_harm"),
        ("im gonna kill myself", "suicide_self_harm"),
        ("IM GOING TO END IT ALL 2NITE", "suicide_self_harm"),
        ("im in danger rn", "immediate_danger"),
        ("u need to help me hes trying to get in", "immediate_danger"),
        ("i was raped lst nite", "recent_sexual_assault"),
        ("im 16", "under_18"),
        ("im in yr11", "under_18"),
        ("I\u2019m fifteen", "under_18"),
    ],
)
def test_sms_spellings(classifier: RiskClassifier, text: str, label: str) -> None:
    assert label in labels(classifier, text)


@pytest.mark.parametrize(
    "text",
    [
        "this essay is killing me",
        "I'm dying to know",
        "my feet are killing me",
        "I could kill for a pizza",
        "what happens if I report to the police",
        "the deadline is killing me",
        "dead tired",
        "I'm 19",
        "my mum is going to kill me when she sees my grades",
        "i'm killing myself trying to keep up with this module",
        "I'm 16 weeks pregnant",
        "im 15 mins away",
        "i want to die my hair pink",
    ],
)
def test_idioms_and_look_alikes_raise_nothing(classifier: RiskClassifier, text: str) -> None:
    assert labels(classifier, text) == set()


@pytest.mark.parametrize(
    "text",
    [
        "I'm not going to hurt myself",
        "I don't want to die",
        "I'm not in danger",
        "im not suicidal",
        "i wont kill myself i promise",
        "I used to self harm but I stopped two years ago",
        "I don't feel like I'm in any danger",
    ],
)
def test_negations_raise_nothing(classifier: RiskClassifier, text: str) -> None:
    assert labels(classifier, text) == set()


def test_negation_does_not_reach_past_its_clause(classifier: RiskClassifier) -> None:
    assert "suicide_self_harm" in labels(classifier, "i'm not ok. i want to die")
    assert "suicide_self_harm" in labels(classifier, "i can't stop thinking about killing myself")


@pytest.mark.parametrize(
    "text",
    [
        "what should I do if a friend says they want to die",
        "if someone is being followed who should they call?",
        "what would happen if a student said they were going to hurt themselves",
        "what do I do if someone tells me they've taken an overdose",
        "for my criminology essay I'm researching why people self harm",
    ],
)
def test_hypotheticals_about_others_raise_nothing(classifier: RiskClassifier, text: str) -> None:
    assert labels(classifier, text) == set()


def test_a_friend_at_risk_now_is_flagged(classifier: RiskClassifier) -> None:
    assert "suicide_self_harm" in labels(classifier, "my flatmate says she's going to kill herself tonight")
    assert "immediate_danger" in labels(classifier, "someone is attacking my friend outside the union")


def test_first_person_or_a_concrete_time_cancels_the_frame(classifier: RiskClassifier) -> None:
    assert "suicide_self_harm" in labels(classifier, "if they find out i'll kill myself")
    assert "recent_sexual_assault" in labels(classifier, "if my friend was raped last night what should she do")


@pytest.mark.parametrize(
    "text",
    [
        "my supervisor is going to kill me when he sees this draft",
        "our seminar on the bell jar: what are the key themes around suicide?",
        "did the bridge barriers actually reduce suicides?",
        "nursing lecture today was on paracetamol overdose management",
        "overdosed on netflix this weekend instead of revising",
    ],
)
def test_a_topic_on_a_course_or_a_figure_of_speech_raises_nothing(classifier: RiskClassifier, text: str) -> None:
    assert labels(classifier, text) == set()


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("in the lecture on suicide i just kept thinking i want to kill myself", "suicide_self_harm"),
        ("our seminar on self harm made me realise i cut myself last night and it is still bleeding",
         "suicide_self_harm"),
        ("my landlord is going to kill me, he said he will come round tonight with a knife", "immediate_danger"),
        ("my landlord said he is going to kill me", "immediate_danger"),
        ("i od on coffee pills", "suicide_self_harm"),
        ("so hungover i want to die, i have pills here", "suicide_self_harm"),
    ],
)
def test_the_same_words_about_the_sender_now_still_raise_their_label(
    classifier: RiskClassifier, text: str, label: str,
) -> None:
    assert label in labels(classifier, text)


def test_asking_for_methods_is_flagged_whatever_the_frame(classifier: RiskClassifier) -> None:
    assert "suicide_self_harm" in labels(classifier, "for an essay, what is the easiest way to kill yourself")


def test_recent_sexual_assault_needs_a_recent_time(classifier: RiskClassifier) -> None:
    assert labels(classifier, "I was raped two years ago and I've never told anyone") == set()
    assert labels(classifier, "he raped me") == set()
    assert "recent_sexual_assault" in labels(classifier, "he raped me a few hours ago")
    assert "recent_sexual_assault" in labels(classifier, "I've just been raped")
    # "right now" says where he is, not when the assault happened.
    assert labels(classifier, "the guy who assaulted me is outside right now") == {"immediate_danger"}


def test_past_events_are_history(classifier: RiskClassifier) -> None:
    assert labels(classifier, "my ex threatened to kill me last year") == set()
    assert labels(classifier, "my friend overdosed last year and I still think about it") == set()
    assert labels(classifier, "i was 16 when it happened but i'm 20 now") == set()


def test_several_labels_and_the_highest_severity(classifier: RiskClassifier) -> None:
    result = classifier.classify("im 15 and i want to kill myself")
    assert result.labels == {"suicide_self_harm", "under_18"}
    assert result.severity == classifier.severity("suicide_self_harm")
    assert result.flagged


def test_severity_order(classifier: RiskClassifier) -> None:
    severity = classifier.severity
    assert severity("immediate_danger") == severity("suicide_self_harm")
    assert severity("suicide_self_harm") > severity("recent_sexual_assault") > severity("under_18") > 0
    assert classifier.labels[:2] == ("immediate_danger", "suicide_self_harm")


def test_assessment_holds_rule_ids_never_text(classifier: RiskClassifier) -> None:
    text = "my name is Sam and I want to kill myself"
    result = classifier.classify(text)
    assert result.rule_ids
    for rule_id in (*result.rule_ids, *result.suppressed):
        assert re.fullmatch(r"[a-z0-9_]+(\.[a-z0-9_]+)*(:[a-z_]+)?", rule_id)
    assert "sam" not in repr(result).lower()


@pytest.mark.parametrize("text", ["", "   ", "?!...", "\U0001f62d\U0001f62d", "\n\n", "x" * 5000, "a-b-c 'quoted'"])
def test_odd_input_is_handled(classifier: RiskClassifier, text: str) -> None:
    assert classifier.classify(text) == NO_RISK


def test_long_message_is_still_read(classifier: RiskClassifier) -> None:
    text = "I had a long week. " * 200 + "I want to die."
    assert "suicide_self_harm" in labels(classifier, text)


def test_get_classifier_is_loaded_once() -> None:
    assert get_classifier() is get_classifier()


def test_patterns_path_from_the_environment(tmp_path, monkeypatch, pattern_file) -> None:
    path = pattern_file(tmp_path)
    monkeypatch.setenv("SAFETY_PATTERNS_PATH", str(path))
    custom = RiskClassifier.load()
    assert custom.classify("the test word").labels == {"immediate_danger"}
    assert custom.classify("I want to kill myself").labels == frozenset()


def test_anchored_matching_finds_what_a_plain_matcher_finds(classifier: RiskClassifier) -> None:
    from spacy.matcher import Matcher
    from spacy.tokens import Doc

    from safety.evaluate import DEFAULT_SET, load_examples

    pattern_set = classifier._set
    plain = Matcher(classifier._nlp.vocab)
    for key, patterns in pattern_set.compiled.items():
        plain.add(key, patterns)
    for example in load_examples(DEFAULT_SET):
        words = [*pattern_set.normaliser.words(example.text), "."]
        doc = Doc(classifier._nlp.vocab, words=words)
        assert set(classifier._matcher(doc, words)) == set(plain(doc)), example.text


@pytest.fixture(scope="module")
def plain_matcher(classifier: RiskClassifier):
    """A matcher of every pattern, the words the patterns use, and the patterns."""
    from spacy.matcher import Matcher

    plain = Matcher(classifier._nlp.vocab)
    words = {".", ",", "?", "i", "not", "last", "night"}
    for key, patterns in classifier._set.compiled.items():
        plain.add(key, patterns)
        for pattern in patterns:
            for spec in pattern:
                lower = spec.get("LOWER")
                words.update([lower] if isinstance(lower, str) else (lower or {}).get("IN", []))
    return plain, sorted(words), [pattern for patterns in classifier._set.compiled.values() for pattern in patterns]


def _written_out(pattern: list[dict], draw, vocabulary: list[str]) -> list[str]:
    """Words the pattern matches: one of each token's words, an optional token or a wildcard there or not."""
    words = []
    for spec in pattern:
        if "OP" in spec and not draw(st.booleans()):
            continue
        lower = spec.get("LOWER")
        if spec.get("IS_DIGIT"):
            words.append(str(draw(st.integers(0, 30))))
        elif isinstance(lower, str):
            words.append(lower)
        elif isinstance(lower, dict) and "IN" in lower:
            words.append(draw(st.sampled_from(sorted(lower["IN"]))))
        else:  # a wildcard: any word but the few it may not be
            stop = frozenset(lower.get("NOT_IN", ()))
            words.append(draw(st.sampled_from([word for word in vocabulary if word not in stop])))
    return words


@settings(max_examples=120, deadline=None)
@given(data=st.data())
def test_anchored_matching_finds_what_a_plain_matcher_finds_in_messages_dense_with_pattern_words(
    classifier: RiskClassifier, plain_matcher, data: st.DataObject,
) -> None:
    """Messages made only of the words patterns use, where the most patterns meet: the anchored matcher (which skips
    the patterns a stretch lacks the words for) finds every match a matcher of all patterns finds."""
    from spacy.tokens import Doc

    plain, vocabulary, patterns = plain_matcher
    words = ["."]
    for _ in range(data.draw(st.integers(1, 8))):  # patterns written out, among other pattern words
        words += data.draw(st.lists(st.sampled_from(vocabulary), max_size=4))
        words += _written_out(data.draw(st.sampled_from(patterns)), data.draw, vocabulary)
    words.append(".")
    doc = Doc(classifier._nlp.vocab, words=words)
    assert set(classifier._matcher(doc, words)) == set(plain(doc))


@pytest.mark.parametrize("text", [
    "yr 9, theres a lad who keeps following me home",
    "S3. my cousin touches me when we're alone",
    "im in s2 and i cant stop crying",
    "14 n my step dad hits me",
    "am 16 an i dont know who to tell",
    "I'm not old enough to drive yet and my boyfriend is 24",
    "my mum has to sign my forms for college still",
    "me and my mates are all in year 10 and a teacher keeps messaging us",
    "Hi. Year 11 here, is this private?",
])
def test_a_school_year_or_age_opening_a_message_is_under_18(classifier: RiskClassifier, text: str) -> None:
    assert "under_18" in classifier.classify(text).labels


@pytest.mark.parametrize("text", [
    "15 minutes ago he sent me another message",
    "year 1 of my degree and i feel lost",
    "my little sister is in year 9 and being bullied",
    "S6 now and applying to uni",
    "room 14, can someone come",
    "I was in year 10 when it happened, I'm 24 now",
])
def test_numbers_that_are_not_the_senders_age_are_not(classifier: RiskClassifier, text: str) -> None:
    assert "under_18" not in classifier.classify(text).labels
