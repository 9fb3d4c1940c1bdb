"""The call-back questions: one answer can fill several, a question in the middle is answered, stop works."""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import ActiveLoop, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict

from actions.callback_answer import is_email, is_phone, looks_like_question, understand, wants_to_stop, yes_or_no

CHANNEL, TIME, CONTACT = "callback_channel", "callback_time", "callback_contact"
LEAVE_MESSAGE = "callback_leave_message"
SLOTS = (CHANNEL, TIME, CONTACT, LEAVE_MESSAGE)
# Questions a student may ask in the middle of the call-back questions. Each has a rule in data/rasa/rules/callback.yml
# that answers it and then goes back to the question it interrupted (tests/bot checks the two agree).
ANSWERED_MID_FORM = frozenset({
    "ask_support_services", "ask_contact", "ask_chat_privacy", "ask_confidentiality", "ask_anonymous",
    "bot_challenge",
})
# Asking for a person ends the call-back questions: data/rasa/rules/callback.yml goes to the handoff instead.
LEAVES_FORM = frozenset({"request_person"})
# "Can you text me after 6?" is an answer phrased as a question.
_ASKS_TO_BE_CONTACTED = re.compile(r"\b(?:call|ring|text|e-?mail|phone|message|contact)\s+me\b", re.I)
_VOICEMAIL = re.compile(r"\b(?:voice ?mail|answerphone|message)\b", re.I)


def _intent(tracker: Tracker) -> tuple[str, float]:
    intent = tracker.latest_message.get("intent") or {}
    return str(intent.get("name") or ""), float(intent.get("confidence") or 0.0)


def _reject() -> list[dict[str, Any]]:
    """No slot events: Rasa hands the turn to the rules (the safety response, or the answer to a question)."""
    return []


def _cancel() -> list[dict[str, Any]]:
    """Ends the questions; action_submit_callback sees them unanswered and says no call-back was asked for."""
    return [*clear_callback_slots(), SlotSet("requested_slot", None), ActiveLoop(None)]


def callback_complete(tracker: Tracker) -> bool:
    """Every call-back question has its answer (the questions were not stopped part-way)."""
    return all(tracker.get_slot(slot) is not None for slot in SLOTS)


def clear_callback_slots() -> list[dict[str, Any]]:
    return [SlotSet(slot, None) for slot in SLOTS]


def heard(text: str, intent: str, requested: str | None, filled: dict[str, Any]) -> dict[str, Any]:
    """The slots this message fills: the newest word wins, and the contact must suit the way of getting in touch."""
    answer = understand(text)
    found: dict[str, Any] = {CHANNEL: answer.channel, TIME: answer.time, CONTACT: answer.contact}
    if requested == LEAVE_MESSAGE or _VOICEMAIL.search(text):
        found[LEAVE_MESSAGE] = yes_or_no(text, intent if requested == LEAVE_MESSAGE else None)
    updates = {slot: value for slot, value in found.items() if value is not None}
    channel = updates.get(CHANNEL, filled.get(CHANNEL))
    contact = updates.get(CONTACT, filled.get(CONTACT))
    mismatched = (channel == "email" and is_phone(contact)) or (channel in ("phone", "sms") and is_email(contact))
    if mismatched and CONTACT in updates and CHANNEL not in updates:
        # A new contact changes the way: an address means email; a number means a call or a text (asked next).
        updates[CHANNEL] = "email" if is_email(contact) else None
    elif mismatched:
        updates[CONTACT] = None
    elif channel is None and is_email(contact):
        updates[CHANNEL] = "email"
    return updates


class ValidateCallbackForm(FormValidationAction):
    """Understands each answer to the call-back questions, and lets questions and "stop" through at any point."""

    def name(self) -> str:
        return "validate_callback_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        requested = tracker.get_slot("requested_slot")
        text = " ".join(str(tracker.latest_message.get("text") or "").split())
        intent, confidence = _intent(tracker)
        filled = {slot: tracker.get_slot(slot) for slot in SLOTS}
        if requested is None:  # the message that started the questions may already say how, when and where
            return [SlotSet(slot, value) for slot, value in heard(text, intent, None, filled).items()]
        if intent == "risk_detected":
            return _reject()
        if wants_to_stop(text) or (intent == "deny" and requested != LEAVE_MESSAGE):
            return _cancel()
        if intent in LEAVES_FORM and confidence >= 0.6 and not understand(text).contact:
            return _reject()
        answer = understand(text)
        if looks_like_question(text) and not answer.contact and not _ASKS_TO_BE_CONTACTED.search(text):
            if intent in ANSWERED_MID_FORM:
                return _reject()
            dispatcher.utter_message(response="utter_callback_question_later")
            return [SlotSet(requested, None)]
        updates = heard(text, intent, requested, filled)
        if not any(value is not None for value in updates.values()):
            if intent in ANSWERED_MID_FORM and confidence >= 0.6:
                return _reject()
            reply = "utter_callback_contact_not_understood" if requested == CONTACT else "utter_callback_not_understood"
            dispatcher.utter_message(response=reply)
            return [SlotSet(requested, None)]
        if updates.get(CONTACT, "") is None and requested == CONTACT:
            dispatcher.utter_message(response="utter_callback_contact_not_understood")
        return [SlotSet(slot, value) for slot, value in updates.items()]
