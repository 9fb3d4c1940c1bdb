"""Signposting: the services that can help with what the student needs, open now where possible."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.common import SMS, channel_of, current_profile
from institutions import ProfileError
from signpost import NEEDS, format_sms, format_web, signpost

logger = logging.getLogger(__name__)

NEED_ENTITY = "support_need"
DEFAULT_NEEDS = ("sexual_violence", "harassment_bullying")
NEED_BUTTONS = [
    ("Sexual violence", "sexual_violence"),
    ("Harassment or bullying", "harassment_bullying"),
    ("Stalking", "stalking"),
    ("Images shared online", "online_image_abuse"),
    ("Abuse at home", "domestic_abuse"),
    ("Feeling unsafe with myself", "mental_health_crisis"),
    ("LGBT+ support", "lgbt"),
    ("For men", "men"),
    ("I'm under 18", "under_18"),
    ("I'm a member of staff", "staff"),
]


def needs_from(tracker: Tracker) -> list[str]:
    """Needs named in the latest message (quick replies carry them), plus under-18 if a risk flag said so."""
    needs = [
        e["value"] for e in tracker.latest_message.get("entities", [])
        if e.get("entity") == NEED_ENTITY and e.get("value") in NEEDS
    ]
    said_under_18 = any(
        e.get("entity") == "risk_label" and e.get("value") == "under_18"
        for event in tracker.events if event.get("event") == "user"
        for e in (event.get("parse_data") or {}).get("entities", [])
    )
    if said_under_18 and "under_18" not in needs:
        needs.append("under_18")
    return list(dict.fromkeys(needs))


class ActionSignpost(Action):
    """Lists services open now for the student's needs, nation and channel, then ones that open later."""

    def __init__(self, clock: Any = None) -> None:
        self._clock = clock

    def name(self) -> str:
        return "action_signpost"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        channel = channel_of(tracker)
        kind = "sms" if channel == SMS else "web"
        named = needs_from(tracker)
        needs = named or list(DEFAULT_NEEDS)
        try:
            nation: str | None = current_profile().nation
        except ProfileError:
            logger.exception("action_signpost: the institution profile could not be loaded")
            nation = None
        now = self._clock() if self._clock else datetime.now().astimezone()
        result = signpost(needs, nation=nation, channel=kind, now=now)
        if kind == "sms":
            for text in format_sms(result):
                dispatcher.utter_message(text=text)
            return []
        buttons = None
        if not named:
            buttons = [
                {"title": title, "payload": f'/ask_support_services{{"{NEED_ENTITY}": "{need}"}}'}
                for title, need in NEED_BUTTONS
            ]
        dispatcher.utter_message(text=format_web(result))
        if buttons:
            dispatcher.utter_message(
                text="If you tell me more about what happened, I can suggest services that fit better.",
                buttons=buttons,
            )
        return []
