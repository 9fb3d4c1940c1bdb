"""An NLU component that lets the safety verdict overrule the intent classifier.

The handoff service checks every message once and sends its verdict in the message metadata; this
component uses that verdict and does not check the text again. (A message that arrives without one, from
a tool talking to Rasa directly, is checked here.) When the verdict raises a label, the message's intent
becomes ``risk_detected`` with full confidence and each label is added as a ``risk_label`` entity,
so a rule can answer with the safety response whatever the classifier guessed.

When the verdict raises no label but asks for a check-in (or the message was not understood and carries a
weak signal), the intent becomes ``safety_check_in`` with a ``check_in`` entity naming the question to ask
("suicide" or "safety"), and a rule asks it: a message that may be distress never meets "I didn't understand".
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import ENTITIES, INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.intent import overrule
from safety.check_in import kind_for
from safety.verdict import METADATA_KEY, SafetyCheck, Verdict, get_safety_check

RISK_INTENT = "risk_detected"
RISK_ENTITY = "risk_label"
CHECK_IN_INTENT = "safety_check_in"
CHECK_IN_ENTITY = "check_in"
NOT_UNDERSTOOD = ("nlu_fallback", "out_of_scope")


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class RiskDetector(GraphComponent, IntentClassifier):
    """Overrides the predicted intent when a message shows risk; leaves every other message alone."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {}

    def __init__(self, check: SafetyCheck) -> None:
        self.check = check

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> RiskDetector:
        return cls(get_safety_check())

    def verdict(self, message: Message, text: str) -> Verdict:
        """The service's verdict from the metadata; the check runs here only when there is none."""
        metadata = message.get("metadata")
        sent = metadata.get(METADATA_KEY) if isinstance(metadata, dict) else None
        verdict = Verdict.from_metadata(sent, self.check.labels)
        return verdict if verdict is not None else self.check.assess(text)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT)
            if not text:
                continue
            assessment = self.verdict(message, text)
            if assessment.flagged:
                self._override(message, text, RISK_INTENT, RISK_ENTITY, sorted(assessment.labels))
                continue
            kind = self.check_in(message, assessment)
            if kind is not None:
                self._override(message, text, CHECK_IN_INTENT, CHECK_IN_ENTITY, [kind])
        return messages

    @staticmethod
    def check_in(message: Message, verdict: Verdict) -> str | None:
        """The check-in to ask: the one the verdict names, or one from a weak signal in a message not understood."""
        # Asked whatever the classifier guessed: distress is often read as a plain reply ("i can't go on" as deny,
        # "thank you for everything" as thanks), so the intent never cancels a check-in.
        if verdict.check_in is not None:
            return kind_for(verdict.labels, verdict.check_in, ())
        intent = (message.get(INTENT) or {}).get("name")
        return kind_for(verdict.labels, None, verdict.low_confidence) if intent in NOT_UNDERSTOOD else None

    def _override(self, message: Message, text: str, intent: str, entity: str, values: list[str]) -> None:
        overrule(message, intent)
        entities = list(message.get(ENTITIES) or []) + [
            {"entity": entity, "value": value, "start": 0, "end": len(text),
             "confidence": 1.0, "extractor": type(self).__name__}
            for value in values
        ]
        message.set(ENTITIES, entities, add_to_output=True)
