"""Setting a message's intent from a component that knows better than the statistical classifier."""

from __future__ import annotations

from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY
from rasa.shared.nlu.training_data.message import Message


def overrule(message: Message, intent: str) -> None:
    """Make ``intent`` the message's intent with full confidence, first in the ranking (kept for the logs)."""
    ranking = [{"name": intent, "confidence": 1.0}] + [
        item for item in message.get(INTENT_RANKING_KEY) or [] if item.get("name") != intent
    ]
    message.set(INTENT, {"name": intent, "confidence": 1.0}, add_to_output=True)
    message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
