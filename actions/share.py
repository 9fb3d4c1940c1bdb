"""Seeing and trimming what the officer will see: the student's own messages, any of which they can leave out."""

from __future__ import annotations

import logging
import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict

from actions.common import SMS, Reply, channel_of, send
from actions.handoff_client import HandoffClient, HandoffUnavailable
from safety.gsm import SMS_BUDGET, gsm7_length, to_gsm7

logger = logging.getLogger(__name__)

CHOICE, LISTED = "handoff_share_choice", "share_listed"
SMS_LIST_MOST = 9  # numbers 1-9: one digit each, so "2 5" cannot be misread
SMS_LIST_HEADER = "Which should they NOT see? Reply with the numbers, like 2 5, or 0 to share them all."
# "Which should they NOT see?": "none" shares them all, "all" shares none; SHARE ALL / SHARE NONE say it outright.
_SHARE_NONE = re.compile(
    r"\bshare (?:none|nothing)\b|\bleave (?:them )?all out\b|\bcancel\b|\bstop\b|^\W*all\W*$", re.I)
_SHARE_ALL = re.compile(r"\bshare (?:all|everything|them all)\b|\bnone\b|\bkeep (?:them )?all\b", re.I)


async def preview(client: HandoffClient, sender_id: str) -> list[dict[str, Any]] | None:
    """The student's own messages so far (seq and text), or None if the service cannot be reached."""
    try:
        result = await client.post("/api/share-preview", {"sender_id": sender_id})
    except HandoffUnavailable:
        logger.warning("share preview: the handoff service is unavailable")
        return None
    return [m for m in result.get("messages", []) if isinstance(m, dict) and isinstance(m.get("seq"), int)]


def _plural(count: int) -> str:
    return f"your {count} message{'' if count == 1 else 's'}"


def sms_consent(count: int | None) -> str:
    """The SMS share question: how much there is, and the three ways to answer."""
    if count is None:
        return "Reply SHARE ALL to let them see what you've written so far, SHARE NONE to start fresh, or CHOOSE."
    if count == 0:
        return "Reply SHARE ALL to let them see what you write from now, or SHARE NONE to start fresh."
    return (f"They see {_plural(count)} to me only if you say so. Reply SHARE ALL, SHARE NONE, or CHOOSE to "
            "pick which ones.")


def sms_list(messages: list[dict[str, Any]]) -> tuple[str, list[int]]:
    """The latest messages, numbered, in one SMS: (text, the seqs in the order numbered)."""
    shown = messages[-SMS_LIST_MOST:]
    header = SMS_LIST_HEADER if len(shown) == len(messages) else (
        f"Your last {len(shown)} messages are below; earlier ones stay private. " + SMS_LIST_HEADER)
    room = SMS_BUDGET - gsm7_length(header)
    each = max(8, room // max(1, len(shown)) - 3)  # "\n1 " before each
    lines = []
    for number, message in enumerate(shown, start=1):
        words = " ".join(to_gsm7(str(message.get("text", ""))).split())
        lines.append(f"{number} {words if gsm7_length(words) <= each else words[: each - 3].rstrip() + '...'}")
    text = header + "".join(f"\n{line}" for line in lines)
    while gsm7_length(text) > SMS_BUDGET and lines:  # extended characters count double: trim the longest
        longest = max(range(len(lines)), key=lambda i: len(lines[i]))
        lines[longest] = lines[longest][: max(6, len(lines[longest]) - 8)].rstrip(". ") + "..."
        text = header + "".join(f"\n{line}" for line in lines)
    return text, [int(m["seq"]) for m in shown]


def read_numbers(text: str, listed: list[int]) -> dict[str, Any] | None:
    """The choice from an SMS reply ("2 5", "0", "share all", "share none"), or None if it is not one."""
    numbers = [int(n) for n in re.findall(r"\d+", text or "")]
    if not numbers and _SHARE_NONE.search(text or ""):
        withheld = list(listed)
    elif numbers == [0] or (not numbers and _SHARE_ALL.search(text or "")):
        withheld: list[int] = []
    elif numbers and all(1 <= n <= len(listed) for n in numbers):
        withheld = [listed[n - 1] for n in sorted(set(numbers))]
    else:
        return None
    return {"from_seq": min(listed, default=0), "upto_seq": max(listed, default=0), "withheld_seqs": withheld}


def from_web(tracker: Tracker) -> dict[str, Any] | None:
    """The web chooser's answer: /share_chosen{"share_upto": 41, "share_withheld": "5 9"}."""
    entities = {e.get("entity"): e.get("value") for e in tracker.latest_message.get("entities") or []}
    try:
        upto = int(str(entities.get("share_upto")))
    except ValueError:
        return None
    withheld = [int(n) for n in re.findall(r"\d+", str(entities.get("share_withheld") or ""))]
    return {"from_seq": 0, "upto_seq": upto, "withheld_seqs": withheld}


def share_choice(tracker: Tracker) -> dict[str, Any] | None:
    """What the student chose to leave out, if they chose message by message (None: all or nothing)."""
    if (tracker.latest_message.get("intent") or {}).get("name") == "share_chosen":
        return from_web(tracker)
    choice = tracker.get_slot(CHOICE)
    return choice if isinstance(choice, dict) else None


def shares(tracker: Tracker) -> bool:
    """Whether anything from before is shared: a yes, or a choice that keeps at least one message."""
    choice = share_choice(tracker)
    if choice is not None:
        return True  # the service keeps only what was listed and not left out (perhaps nothing)
    return (tracker.latest_message.get("intent") or {}).get("name") == "affirm"


class ActionAskShareChoice(Action):
    """Lists the student's messages: numbered on SMS; on the web, a button opens the page's own list."""

    def __init__(self, client: HandoffClient | None = None) -> None:
        self.client = client or HandoffClient()

    def name(self) -> str:
        return "action_ask_handoff_share_choice"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        channel = channel_of(tracker)
        if channel != SMS:
            dispatcher.utter_message(response="utter_share_choose_web")
            return []
        messages = await preview(self.client, tracker.sender_id)
        if not messages:  # the service is away: nothing can be listed, so nothing from before is shared
            dispatcher.utter_message(response="utter_share_cannot_list")
            return [SlotSet(LISTED, [])]
        text, listed = sms_list(messages)
        send(dispatcher, [Reply(text)], channel)
        return [SlotSet(LISTED, listed)]


class ValidateShareForm(FormValidationAction):
    """Reads the numbers to leave out (SMS) or the web list's answer; a crisis goes to the safety response."""

    def name(self) -> str:
        return "validate_share_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        if tracker.get_slot("requested_slot") is None:
            return []
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        if intent == "risk_detected":
            return []  # rejected: the safety rule answers, then the list is asked again
        if intent == "share_chosen":
            choice = from_web(tracker)
        else:
            listed = tracker.get_slot(LISTED) or []
            if not listed:
                return [SlotSet(CHOICE, {"from_seq": 0, "upto_seq": 0, "withheld_seqs": []})]
            choice = read_numbers(str(tracker.latest_message.get("text") or ""), [int(s) for s in listed])
            if choice is None and intent == "deny":
                choice = read_numbers("share none", [int(s) for s in listed])
        if choice is None:
            dispatcher.utter_message(response="utter_share_not_understood")
            return [SlotSet(CHOICE, None)]
        return [SlotSet(CHOICE, choice)]
