"""Asking for a person: what will happen, consent to share, what they want, then the case and the queue."""

from __future__ import annotations

import logging
import re
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import SMS, Reply, button, channel_of, current_profile, send, the
from actions.handoff_client import HandoffClient, HandoffUnavailable
from institutions import ProfileError
from safety.responses import safety_response

logger = logging.getLogger(__name__)

# The answer to "what would you like?": the quick replies' intents, or the same wish in other words.
GOALS = {
    "goal_talk": "talk", "request_person": "talk",
    "goal_disclose": "disclosure", "share_experience": "disclosure",
    "goal_report": "formal_report", "ask_how_to_report": "formal_report",
}
# The case reference alphabet has no look-alikes (no O/0, I/1, S/5, B/8), which also keeps ordinary words out.
REFERENCE = re.compile(r"\b([ACDEFGHJKMNPQRTUVWXY234679]{3})[\s-]?([ACDEFGHJKMNPQRTUVWXY234679]{3})\b", re.I)
CANT_REACH = (
    "Sorry, I can't reach the welfare team's system right now. If you are in danger, call 999. "
    "Samaritans are free on 116 123, day or night. Please try asking for a person again in a few minutes."
)


def find_reference(text: str) -> re.Match[str] | None:
    """The reference in a message; one with a digit wins over letters that only look like one ("ref kmx")."""
    matches = [m for m in (REFERENCE.match(text, start) for start in range(len(text))) if m]
    with_digit = [m for m in matches if any(ch.isdigit() for ch in m.group(0))]
    return (with_digit or matches or [None])[0]


def _team(channel: str) -> str:
    try:
        return the(current_profile().teams.welfare)
    except ProfileError:
        return "the welfare team"


def _request_id(tracker: Tracker) -> str:
    """The same request (even if Rasa retries the action) always gives the same id."""
    stamp = next((e.get("timestamp") for e in reversed(tracker.events) if e.get("event") == "user"), None)
    return f"{tracker.sender_id}:{stamp}"


class ActionHandoffIntro(Action):
    """Explains who will join, what they will see, that the student can stay anonymous; asks consent."""

    def name(self) -> str:
        return "action_handoff_intro"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        channel = channel_of(tracker)
        team = _team(channel)
        if channel == SMS:
            replies = [
                Reply(f"A welfare officer from {team} can text with you here. They are a real person. You don't "
                      "have to give your name. They see what you wrote to me only if you say yes."),
                Reply("Reply YES to share what you've written so far, or NO to start fresh with them."),
            ]
        else:
            replies = [
                Reply(f"A welfare officer from {team} can join this chat. They are a real person, trained to listen."
                      " You don't have to give your name."),
                Reply("Would you like them to see what you've written to me so far? If not, they'll only see "
                      "what you write from now on.",
                      (("Yes, share it", "/affirm"), ("No, start fresh", "/deny"))),
            ]
        send(dispatcher, replies, channel)
        return []


class ActionHandoffGoal(Action):
    """Records the consent answer and asks what the student would like from the officer."""

    def name(self) -> str:
        return "action_handoff_goal"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        share = tracker.latest_message.get("intent", {}).get("name") == "affirm"
        channel = channel_of(tracker)
        if channel == SMS:
            text = "Thanks. What would you like? Reply TALK to just talk, TELL to tell them what happened, " \
                   "or REPORT to start a formal report. You can change your mind later."
            replies = [Reply(text)]
        else:
            replies = [Reply(
                "Thanks. What would you like from them? You can change your mind later.",
                (button("Just talk", "goal_talk"), button("Tell them what happened", "goal_disclose"),
                 button("Start a formal report", "goal_report")),
            )]
        send(dispatcher, replies, channel)
        return [SlotSet("handoff_share", share)]


class ActionRequestHandoff(Action):
    """Creates the case through the handoff service and tells the student what happens next."""

    def __init__(self, client: HandoffClient | None = None) -> None:
        self.client = client or HandoffClient()

    def name(self) -> str:
        return "action_request_handoff"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        channel = channel_of(tracker)
        goal = GOALS.get(tracker.latest_message.get("intent", {}).get("name", ""), "talk")
        try:
            result = await self.client.post("/api/handoff-requests", {
                "sender_id": tracker.sender_id, "request_id": _request_id(tracker), "goal": goal,
                "share_transcript": bool(tracker.get_slot("handoff_share")), "anonymous": True,
            })
        except HandoffUnavailable:
            logger.warning("action_request_handoff: the handoff service is unavailable")
            send(dispatcher, [Reply(CANT_REACH)], channel)
            return []
        send(dispatcher, handoff_replies(result, channel), channel)
        return [SlotSet("handoff_goal", goal), SlotSet("case_reference", result["reference"])]


def _queue_words(position: int | None) -> str:
    if not position or position <= 1:
        return "You are next in the queue."
    ahead = position - 1
    return f"There {'is' if ahead == 1 else 'are'} {ahead} {'person' if ahead == 1 else 'people'} ahead of you."


def _wait(result: dict[str, Any]) -> str:
    """The service's rough wait ('about 10 minutes'), worked out from the queue and the team's recent takes."""
    words = result.get("wait_words")
    return f" The wait is {words} at the moment." if isinstance(words, str) and words else ""


def handoff_replies(result: dict[str, Any], channel: str) -> list[Reply]:
    """What the student reads after asking: their reference, and either the queue or when the team is in."""
    reference = result["reference"]
    if result.get("available"):
        text = (f"Your reference is {reference}. Keep it if you want to come back to this. A welfare officer will "
                f"join as soon as they can. {_queue_words(result.get('position'))}{_wait(result)} You can keep "
                "writing: they will see it.")
        return [Reply(text)]
    when = result.get("next_open_words") or "when the office next opens"
    if result.get("in_hours"):
        why = "No welfare officer is free to chat right now, sorry."
    else:
        why = f"The welfare team is not working right now. They are next in on {when}."
    text = f"{why} Your reference is {reference}: keep it if you come back."
    urgent = "Samaritans are free on 116 123, day or night. If you are in danger, call 999."
    if channel == SMS:
        return [Reply(text), Reply(f"{urgent} Reply CALLBACK if you'd like the team to contact you.")]
    return [Reply(text), Reply(
        f"{urgent} If you like, the team can get in touch at a time that is safe for you.",
        (button("Ask for a call back", "request_callback"), button("Services open now", "ask_support_services")),
    )]


class ActionResumeCase(Action):
    """A student quotes their reference: this conversation joins that case."""

    def __init__(self, client: HandoffClient | None = None) -> None:
        self.client = client or HandoffClient()

    def name(self) -> str:
        return "action_resume_case"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        channel = channel_of(tracker)
        match = find_reference(tracker.latest_message.get("text") or "")
        if match is None:
            send(dispatcher, [Reply("Please send your reference as it was given to you, like ABC-234.")], channel)
            return []
        reference = f"{match.group(1)}-{match.group(2)}".upper()
        try:
            result = await self.client.post("/api/cases/resume", {"sender_id": tracker.sender_id,
                                                                   "reference": reference})
        except HandoffUnavailable:
            send(dispatcher, [Reply(CANT_REACH)], channel)
            return []
        if not result.get("found"):
            send(dispatcher, [Reply(
                f"I couldn't find {reference}. Please check it, or ask for a person and they can help.",
                (button("Talk to a person", "request_person"),),
            )], channel)
            return []
        send(dispatcher, [Reply(
            f"Thanks, this chat is now linked to {result['reference']}. If you ask for a person, they will see it "
            "is the same case.", (button("Talk to a person", "request_person"),),
        )], channel)
        return [SlotSet("case_reference", result["reference"])]


class ValidateCallbackForm(FormValidationAction):
    """Checks the call-back details; a crisis message in the middle still gets the safety response."""

    def name(self) -> str:
        return "validate_callback_form"

    def _crisis(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> bool:
        if tracker.latest_message.get("intent", {}).get("name") != "risk_detected":
            return False
        labels = sorted({e["value"] for e in tracker.latest_message.get("entities", [])
                         if e.get("entity") == "risk_label"})
        for text in safety_response(labels, "sms" if channel_of(tracker) == SMS else "web"):
            dispatcher.utter_message(text=text)
        return True

    async def validate_callback_channel(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                        domain: DomainDict) -> dict[str, Any]:
        if self._crisis(dispatcher, tracker):
            return {"callback_channel": None}
        text = str(value or "").lower()
        for word, channel in (("text", "sms"), ("sms", "sms"), ("email", "email"), ("mail", "email"),
                              ("call", "phone"), ("phone", "phone"), ("ring", "phone")):
            if word in text:
                return {"callback_channel": channel}
        dispatcher.utter_message(text="Sorry, please choose a phone call, a text or an email.")
        return {"callback_channel": None}

    async def validate_callback_time(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                     domain: DomainDict) -> dict[str, Any]:
        if self._crisis(dispatcher, tracker):
            return {"callback_time": None}
        text = " ".join(str(value or "").split())[:200]
        return {"callback_time": text or None}

    async def validate_callback_contact(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                        domain: DomainDict) -> dict[str, Any]:
        if self._crisis(dispatcher, tracker):
            return {"callback_contact": None}
        text = str(value or "").strip()
        channel = tracker.get_slot("callback_channel")
        if channel == "email" and re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", text):
            return {"callback_contact": text}
        if channel in ("sms", "phone") and re.fullmatch(r"\+?[\d\s()-]{10,16}", text):
            return {"callback_contact": text}
        dispatcher.utter_message(text="Sorry, that doesn't look right. Please send it again, or say stop to cancel.")
        return {"callback_contact": None}


class ActionSubmitCallback(Action):
    """Sends the call-back request to the team, with the contact details the student agreed to give."""

    def __init__(self, client: HandoffClient | None = None) -> None:
        self.client = client or HandoffClient()

    def name(self) -> str:
        return "action_submit_callback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        channel = channel_of(tracker)
        try:
            result = await self.client.post("/api/callback-requests", {
                "sender_id": tracker.sender_id, "request_id": _request_id(tracker) + ":callback",
                "preferred_channel": tracker.get_slot("callback_channel"),
                "safe_time": tracker.get_slot("callback_time"), "contact": tracker.get_slot("callback_contact"),
            })
        except HandoffUnavailable:
            send(dispatcher, [Reply(CANT_REACH)], channel)
            return []
        send(dispatcher, [Reply(
            f"Thank you. The team will get in touch at the time you gave. Your reference is {result['reference']}."
            " They will only use these details for this. If you are in danger before then, call 999."
        )], channel)
        return [SlotSet("callback_channel", None), SlotSet("callback_time", None), SlotSet("callback_contact", None)]


class ActionDeleteConversation(Action):
    """Deletes what the student wrote in this chat from the service (not what is already part of a case)."""

    def __init__(self, client: HandoffClient | None = None) -> None:
        self.client = client or HandoffClient()

    def name(self) -> str:
        return "action_delete_conversation"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        channel = channel_of(tracker)
        try:
            result = await self.client.post("/api/conversations/erase", {"sender_id": tracker.sender_id})
        except HandoffUnavailable:
            send(dispatcher, [Reply("Sorry, I couldn't delete the chat just now. Please try again in a few minutes, "
                                    "or ask a welfare officer to do it.")], channel)
            return []
        if result.get("kept_for_case"):
            text = ("This chat is part of a case, so I can't delete it myself. A welfare officer can talk to you "
                    "about what is kept and why.")
        else:
            text = "Done. What you and I wrote in this chat has been deleted from this service."
        send(dispatcher, [Reply(text), *_texts_stay_on_the_phone(channel)], channel)
        return []


SMS_PRIVACY = ("Texts stay on your phone until you delete them: deleting here does not remove them. To delete them, "
               "open your messages app, press and hold this conversation and choose Delete.")


def _texts_stay_on_the_phone(channel: str) -> list[Reply]:
    """By SMS, deleting the chat here leaves the texts on the phone: say so, and how to delete them."""
    return [Reply(SMS_PRIVACY)] if channel == SMS else []
