"""The safety response: emergency numbers first, then the offer of a person."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.common import current_profile
from institutions import ProfileError
from safety.responses import safety_response

RISK_ENTITY = "risk_label"
OFFER_BUTTONS = [
    {"title": "Talk to a person", "payload": "/request_person"},
    {"title": "Other support", "payload": "/ask_support_services"},
]


def channel_kind(tracker: Tracker) -> str:
    """'sms' for SMS users, 'web' for everyone else."""
    return "sms" if tracker.get_latest_input_channel() == "sms" else "web"


class ActionSafetyResponse(Action):
    """Sends the safety response for the labels the risk detector raised."""

    def name(self) -> str:
        return "action_safety_response"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        labels = sorted(
            {e["value"] for e in tracker.latest_message.get("entities", []) if e.get("entity") == RISK_ENTITY}
        )
        kind = channel_kind(tracker)
        try:
            nation: str | None = current_profile().nation  # SARCs and sexual-violence lines differ by nation
        except ProfileError:
            nation = None  # then the reply names every nation's routes
        messages = safety_response(labels, kind, nation)
        for index, text in enumerate(messages):
            last = index == len(messages) - 1
            dispatcher.utter_message(text=text, buttons=OFFER_BUTTONS if last and kind == "web" else None)
        return []
