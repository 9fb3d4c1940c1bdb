"""A case reference is recognised by its form however it is typed, not left to the intent classifier, which
cannot learn random codes; ordinary messages are left alone."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.reference_detector import ReferenceDetector, names_a_reference
from bot.references import not_a_part

ALPHABET = "ACDEFGHJKMNPQRTUVWXY234679"  # the service's reference alphabet (handoff/cases/service.py)
# the service never makes a part of a word a student may write next to it (data/reference_words.yml)
part = st.text(alphabet=ALPHABET, min_size=3, max_size=3).filter(lambda p: p not in not_a_part())


def classify(text: str, guessed: str = "nlu_fallback") -> str:
    message = Message({TEXT: text, INTENT: {"name": guessed, "confidence": 0.4}})
    return ReferenceDetector().process([message])[0].get(INTENT)["name"]


@settings(max_examples=300, deadline=None)
@given(part, part, part, st.sampled_from(["-", " ", ""]), st.booleans(),
       st.sampled_from(["my reference is {}", "ref {}", "{}", "its {} i think", "case {} please"]))
def test_a_whole_reference_typed_any_way_is_recognised(a, b, c, sep, lower, template) -> None:
    reference = sep.join((a, b, c))
    typed = reference.lower() if lower else reference
    text = template.format(typed)
    has_word = template != "{}" and template != "its {} i think"
    digit = any(ch.isdigit() for ch in reference)
    if (has_word and (digit or sep)) or digit:
        assert classify(text) == "provide_reference", text


def test_the_reference_that_was_missed_is_recognised() -> None:
    assert classify("my reference is jf9 wvw j9v") == "provide_reference"
    assert classify("my reference is JF9-WVW-J9V", guessed="out_of_scope") == "provide_reference"


def test_ordinary_messages_and_part_references_are_left_alone() -> None:
    for text in ("what happens next", "can you get me a person", "the new way we do things", "hey man yep",
                 "undertake the training", "we met at 4pm in room 7 ok",
                 "what's the non emergency number", "Will the disclosure appear on my reference?",
                 "Which paragraph of the student code covers suspension?", "do you have the advice centre's number",
                 "a text from a number I don't know, a car parked outside", "a" * 5000 + " JF9-WVW-J9V"):
        assert not names_a_reference(text), text
        assert classify(text, guessed="ask_report_process") == "ask_report_process"


@settings(max_examples=200, deadline=None)
@given(part, part, st.sampled_from(["-", " "]), st.booleans(),
       st.sampled_from(["my reference is {}", "ref {}", "case {} please", "my code is {}"]))
def test_only_the_part_officers_see_next_to_a_reference_word_is_recognised(a, b, sep, lower, template) -> None:
    """The student quoting the part officers see ('my reference is jf9-wvw') is recognised, so the assistant can
    ask for the last part instead of saying it did not understand."""
    typed = sep.join((a, b))
    assert classify(template.format(typed.lower() if lower else typed)) == "provide_reference"
