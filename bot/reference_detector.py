"""An NLU component that recognises a case reference however it is typed.

References are random ("JF9-WVW-J9V"), so the intent classifier cannot learn them: typed loosely ("my reference is
jf9 wvw j9v") it read half of them as not understood. A whole reference (three parts, in the reference alphabet)
with a digit in it, or any reference (whole or its first two parts) next to a word such as "ref" or "case", makes
the intent ``provide_reference``; given only two parts, the assistant asks for the third. It runs
before the risk detector, which still overrules it when a message also shows risk.
"""

from __future__ import annotations

import re
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.intent import overrule
from bot.references import find_reference, has_digit, is_whole, looks_typed_apart

INTENT_NAME = "provide_reference"
REFERENCE_WORD = re.compile(r"\b(ref|reference|case|code|number)\b", re.I)
MAX_CHARS = 300  # a reference comes in a short message; a long one is left to the classifier


def names_a_reference(text: str) -> bool:
    """Whether a short message carries a case reference: the whole one, or only the part officers see (the
    assistant then asks for the rest)."""
    if not text or len(text) > MAX_CHARS:
        return False
    match = find_reference(text)
    if match is None or not looks_typed_apart(match):  # "non emergency number" is not a reference
        return False
    if REFERENCE_WORD.search(text):
        return True
    # without a word saying so: a whole reference with a digit, or its first two parts joined by a dash
    return has_digit(match) and (is_whole(match) or "-" in match.group(0))


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class ReferenceDetector(GraphComponent, IntentClassifier):
    """Sets the intent to provide_reference when a message carries a whole case reference."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {}

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> ReferenceDetector:
        return cls()

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            if names_a_reference(message.get(TEXT) or ""):
                overrule(message, INTENT_NAME)
        return messages
