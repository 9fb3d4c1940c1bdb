"""Asking for a person: what will happen, consent to share, what they want, then the case and the queue."""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import share
from actions.callback import callback_complete, clear_callback_slots
from actions.common import SMS, Reply, button, channel_of, current_profile, send, the
from actions.handoff_client import HandoffClient, HandoffUnavailable
from bot.references import find_reference, is_whole, typed_reference
from institutions import ProfileError

logger = logging.getLogger(__name__)

# The answer to "what would you like?": the quick replies' intents, or the same wish in other words.
GOALS = {
    "goal_talk": "talk", "request_person": "talk",
    "goal_disclose": "disclosure", "share_experience": "disclosure",
    "goal_report": "formal_report", "ask_how_to_report": "formal_report",
}
CANT_REACH = (
    "Sorry, I can't reach the welfare team's system right now. If you are in danger, call 999. "
    "Samaritans are free on 116 123, day or night. Please try asking for a person again in a few minutes."
)


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

    def __init__(self, client: HandoffClient | None = None) -> None:
        self.client = client or HandoffClient()

    def name(self) -> str:
        return "action_handoff_intro"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        channel = channel_of(tracker)
        team = _team(channel)
        if channel == SMS:
            replies = [
                Reply(f"A welfare officer from {team} can text with you here. They are a real person. You don't "
                      "have to give your name. They can't promise to keep everything private: if someone is at "
                      "serious risk, or you are under 18, they may have to share it."),
                Reply(share.sms_consent(await _message_count(self.client, tracker.sender_id))),
            ]
        else:
            replies = [
                Reply(f"A welfare officer from {team} can join this chat. They are a real person, trained to listen."
                      " You don't have to give your name. They can't promise to keep everything private: if someone"
                      " is at serious risk, if you are under 18 or if it is about a member of staff, they may have"
                      " to share what you tell them, and they will say so first where they can."),
                Reply("Would you like them to see what you've written to me so far? If not, they'll only see "
                      "what you write from now on.",
                      (("Yes, share it", "/affirm"), ("Let me choose", "/share_choose"),
                       ("No, start fresh", "/deny"))),
            ]
        send(dispatcher, replies, channel)
        return [SlotSet(share.CHOICE, None), SlotSet(share.LISTED, None)]


async def _message_count(client: HandoffClient, sender_id: str) -> int | None:
    messages = await share.preview(client, sender_id)
    return None if messages is None else len(messages)


class ActionHandoffGoal(Action):
    """Records the consent answer and asks what the student would like from the officer."""

    def name(self) -> str:
        return "action_handoff_goal"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        shared = share.shares(tracker)
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
        return [SlotSet("handoff_share", shared), SlotSet(share.CHOICE, share.share_choice(tracker))]


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
                "share_choice": tracker.get_slot(share.CHOICE),
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
        text = (f"Your reference is {reference}. Keep it private: it lets you come back to this. A welfare officer "
                f"will join as soon as they can. {_queue_words(result.get('position'))}{_wait(result)} You can keep "
                "writing: they will see it.")
        return [Reply(text)]
    when = result.get("next_open_words") or "when the office next opens"
    if result.get("in_hours"):
        why = "No welfare officer is free to chat right now, sorry."
    else:
        why = f"The welfare team is not working right now. They are next in on {when}."
    text = f"{why} Your reference is {reference}. Keep it private: it lets you come back to this."
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
            send(dispatcher, [Reply("Please send your reference as it was given to you, like ABC-234-XYZ.")], channel)
            return []
        reference = typed_reference(match)
        if not is_whole(match):  # without the last part nothing can be linked
            send(dispatcher, [Reply(
                f"Please send all of your reference: it has three parts, like ABC-234-XYZ, and {reference} is only "
                "two. If you don't have the last part, say talk to a person and they can help.",
                (button("Talk to a person", "request_person"),),
            )], channel)
            return []
        try:
            result = await self.client.post("/api/cases/resume", {"sender_id": tracker.sender_id,
                                                                   "reference": reference})
        except HandoffUnavailable:
            send(dispatcher, [Reply(CANT_REACH)], channel)
            return []
        if not result.get("found"):
            # The same words whether the reference is unknown, mistyped or paused after too many tries.
            send(dispatcher, [Reply(
                f"Sorry, I couldn't link this chat to {reference}. Please check it and send it again, or ask for "
                "a person and they can help.",
                (button("Talk to a person", "request_person"),),
            )], channel)
            return []
        send(dispatcher, [Reply(
            f"Thanks, this chat is now linked to {result['reference']}. If you say talk to a person, they will see it "
            "is the same case.", (button("Talk to a person", "request_person"),),
        )], channel)
        return [SlotSet("case_reference", result["reference"])]


class ActionSubmitCallback(Action):
    """Sends the call-back request to the team, with the contact details the student agreed to give."""

    def __init__(self, client: HandoffClient | None = None) -> None:
        self.client = client or HandoffClient()

    def name(self) -> str:
        return "action_submit_callback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        channel = channel_of(tracker)
        if not callback_complete(tracker):  # the student stopped the questions
            dispatcher.utter_message(response="utter_callback_cancelled")
            return clear_callback_slots()
        try:
            result = await self.client.post("/api/callback-requests", {
                "sender_id": tracker.sender_id, "request_id": _request_id(tracker) + ":callback",
                "preferred_channel": tracker.get_slot("callback_channel"),
                "safe_time": tracker.get_slot("callback_time"), "contact": tracker.get_slot("callback_contact"),
                "leave_message": tracker.get_slot("callback_leave_message"),
            })
        except HandoffUnavailable:
            send(dispatcher, [Reply(CANT_REACH)], channel)
            return []
        send(dispatcher, [Reply(
            f"Thank you. The team will get in touch at the time you gave. Your reference is {result['reference']}."
            " They will only use these details for this. If you are in danger before then, call 999."
        )], channel)
        return clear_callback_slots()


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
