"""The safety response: emergency numbers first, then the offer of a person."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import current_profile
from institutions import ProfileError
from safety.check_in import ASKED, KINDS, MARKER, READ, SAID_MORE, concerning, get_check_in
from safety.responses import get_responses, safety_response
from safety.verdict import METADATA_KEY, Verdict

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


CHECK_IN_ENTITY = "check_in"
CHECK_IN_SLOT = "check_in"


class ActionCheckIn(Action):
    """Asks directly and kindly: are you thinking about suicide, or are you safe right now?

    The question comes from data/safety/responses.yml. A custom message after it tells the handoff service
    that a check-in was asked, so that it flags the conversation and reads the student's next message as
    the answer.
    """

    def name(self) -> str:
        return "action_check_in"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        asked = [e.get("value") for e in tracker.latest_message.get("entities", [])
                 if e.get("entity") == CHECK_IN_ENTITY]
        kind = next((k for k in asked if k in KINDS), "safety")
        texts, channel = get_check_in(), channel_kind(tracker)
        dispatcher.utter_message(text=texts.question(kind, channel),
                                 buttons=texts.buttons[kind] if channel == "web" else None)
        dispatcher.utter_message(json_message={MARKER: kind})
        return [SlotSet(CHECK_IN_SLOT, kind)]


class ActionCheckInAnswer(Action):
    """Answers the reply to a check-in: help and the offer of a person, or thanks and carry on.

    The service usually reads the answer first and sends the label with the message; the answer is read here
    as well (from the intent) so that a yes always gets help, even from a quick reply.
    """

    def name(self) -> str:
        return "action_check_in_answer"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        texts, channel = get_check_in(), channel_kind(tracker)
        kind = answered_check_in(tracker, default="safety")
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        meant = {"affirm": "yes", "deny": "no", "check_in_skip": "skip"}.get(intent or "")
        if meant == "skip" and read_by_service(tracker) == SAID_MORE:
            meant = SAID_MORE  # "no, ..." and more with a sign in it: heard, given the numbers, not asked again
        labels = set(service_labels(tracker))
        if concerning(texts, kind, meant):
            labels.add(texts.label[kind])
        if labels:
            try:
                nation: str | None = current_profile().nation  # as in the safety response
            except ProfileError:
                nation = None
            messages = safety_response(sorted(labels), channel, nation)
            for index, text in enumerate(messages):
                last = index == len(messages) - 1
                dispatcher.utter_message(text=text, buttons=OFFER_BUTTONS if last and channel == "web" else None)
        else:
            dispatcher.utter_message(text=texts.reply_to(meant or "no", channel, kind),
                                     buttons=OFFER_BUTTONS if channel == "web" else None)
        return [SlotSet(CHECK_IN_SLOT, None)]


def _from_service(tracker: Tracker, key: str) -> Any:
    """One entry of the metadata the service sent with the student's latest message, or None."""
    metadata = tracker.latest_message.get("metadata") or {}
    return metadata.get(key) if isinstance(metadata, dict) else None


def read_by_service(tracker: Tracker) -> str | None:
    """How the service read the student's reply to a check-in (its metadata), or None."""
    read = _from_service(tracker, READ)
    return read if isinstance(read, str) else None


def asked_by_service(tracker: Tracker) -> str | None:
    """The check-in the student's reply answers, as the service knows it (it may have asked it itself), or None."""
    kind = _from_service(tracker, ASKED)
    return kind if kind in KINDS else None


def answered_check_in(tracker: Tracker, default: str) -> str:
    """The check-in the student's latest message answers: as the service knows it, else as the assistant asked it."""
    return asked_by_service(tracker) or tracker.get_slot(CHECK_IN_SLOT) or default


def service_labels(tracker: Tracker) -> frozenset[str]:
    """Labels in the service's verdict on this message (a quick reply skips the risk detector)."""
    verdict = Verdict.from_metadata(_from_service(tracker, METADATA_KEY), get_responses().by_label)
    return verdict.labels if verdict is not None else frozenset()
