"""An NLU component that lets the safety verdict overrule the intent classifier.

The handoff service checks every message once and sends its verdict in the message metadata; this
component uses that verdict and does not check the text again. (A message that arrives without one, from
a tool talking to Rasa directly, is checked here.) When the verdict raises a label, the message's intent
becomes ``risk_detected`` with full confidence and each label is added as a ``risk_label`` entity,
so a rule can answer with the safety response whatever the classifier guessed.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from safety.verdict import METADATA_KEY, SafetyCheck, Verdict, get_safety_check

RISK_INTENT = "risk_detected"
RISK_ENTITY = "risk_label"


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
            if not assessment.flagged:
                continue
            ranking = [{"name": RISK_INTENT, "confidence": 1.0}] + [
                item for item in message.get(INTENT_RANKING_KEY) or [] if item.get("name") != RISK_INTENT
            ]
            message.set(INTENT, {"name": RISK_INTENT, "confidence": 1.0}, add_to_output=True)
            message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
            entities = list(message.get(ENTITIES) or []) + [
                {"entity": RISK_ENTITY, "value": label, "start": 0, "end": len(text),
                 "confidence": 1.0, "extractor": type(self).__name__}
                for label in sorted(assessment.labels)
            ]
            message.set(ENTITIES, entities, add_to_output=True)
        return messages
