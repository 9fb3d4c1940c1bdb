"""'What does my policy actually say?': the best one or two sections of the institution's own policy.

Asked outright ("what does the policy say about appeals") or reached when the assistant did not understand a
message: the answer quotes the section's number, title and first sentences (web) or the number, title and
link (SMS). When nothing scores well enough it says so honestly and offers a person. It never answers a
message the safety check raised: the crisis answer comes first and alone.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.common import (
    PROFILE_UNAVAILABLE,
    SMS,
    TALK_TO_PERSON,
    Reply,
    button,
    channel_of,
    current_profile,
    policy_of,
    send,
    the,
)
from actions.safety import answered_check_in, channel_kind, read_by_service, service_labels
from institutions import InstitutionProfile, ProfileError
from institutions.loader import default_directory
from institutions.lookup import FALLBACK_MIN_SCORE, MIN_SCORE, Match, policy_index
from safety.check_in import ANSWERED_FIRST, SAID_MORE, get_check_in

logger = logging.getLogger(__name__)
QUOTED = "policy_sections"  # kept with the reply, so the officer console can show what the student read
NOT_UNDERSTOOD = "utter_default"
EXCERPT_CHARS = 360
SENTENCE = re.compile(r"(?<=[.!?])\s+")


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    """The first two or three sentences, never cut mid-sentence unless one sentence is longer than the limit."""
    out = ""
    for sentence in SENTENCE.split(text.replace("\n\n", " ").strip())[:3]:
        if out and len(out) + 1 + len(sentence) > limit:
            break
        out = f"{out} {sentence}".strip()
    return out if len(out) <= limit else out[: limit - 3].rsplit(" ", 1)[0] + "..."


def build_lookup(profile: InstitutionProfile, question: str, channel: str,
                 matches: list[Match] | None) -> list[Reply]:
    """The answer from the sections found, or the honest 'couldn't find it' (matches empty or None)."""
    policy = policy_of(profile, channel)
    if not matches:
        contact = profile.contacts.email or profile.contacts.phone
        text = (f"I couldn't find that in {policy}. {the(profile.teams.welfare).capitalize()} can answer it"
                + (f": {contact}." if contact else "."))
        return [Reply(text)] if channel == SMS else [Reply(text, (TALK_TO_PERSON,))]
    link = profile.policy_url
    if channel == SMS:
        labels = " and ".join(f"section {m.section.label}" for m in matches)
        first = f"{policy[0].upper()}{policy[1:]}: see {labels}."
        if link:
            return [Reply(f"{first} Read it here: {link}")]
        return [Reply(f"{first} {excerpt(matches[0].section.text, 200)}")]
    replies = [Reply(f"From {policy}, section {m.section.label}:\n{excerpt(m.section.text)}") for m in matches]
    closing = f"Read the full policy: {link}" if link else "Want to talk it through with someone?"
    replies.append(Reply(closing, (button("How to report", "ask_how_to_report"), TALK_TO_PERSON)))
    return replies


class ActionPolicyLookup(Action):
    """Answers from the policy document; after a message nobody understood, only when a section fits."""

    action_name = "action_policy_lookup"
    fallback = False  # asked outright: always answer (a section or the honest no)

    def name(self) -> str:
        return self.action_name

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[dict[str, Any]]:
        channel = channel_of(tracker)
        question = tracker.latest_message.get("text") or ""
        if service_labels(tracker):  # the crisis answer is for this message: never a policy quote instead
            dispatcher.utter_message(response=NOT_UNDERSTOOD)
            return []
        try:
            profile = current_profile()
            index = policy_index(default_directory(), profile.id)
        except ProfileError:
            logger.exception("%s: the institution profile could not be loaded", self.name())
            send(dispatcher, [PROFILE_UNAVAILABLE], channel)
            return []
        floor = FALLBACK_MIN_SCORE if self.fallback else MIN_SCORE
        matches = index.answer(question, min_score=floor) if index is not None else []
        if self.fallback and not matches:
            if read_by_service(tracker) == ANSWERED_FIRST:  # "no, ..." to a check-in, and more: heard, not "sorry"
                kind = answered_check_in(tracker, default="suicide")
                dispatcher.utter_message(text=get_check_in().reply_to(SAID_MORE, channel_kind(tracker), kind))
                return []
            dispatcher.utter_message(response=NOT_UNDERSTOOD)  # still carries the 24/7 line
            return []
        replies = build_lookup(profile, question, channel, matches)
        quotes = len(matches) if channel != SMS else 1
        send(dispatcher, replies[:quotes], channel)
        if matches:  # right after the quotes, so the console shows the sections under them
            dispatcher.utter_message(json_message={QUOTED: [m.section.label for m in matches]})
        send(dispatcher, replies[quotes:], channel)
        return []


class ActionPolicyLookupOrDefault(ActionPolicyLookup):
    action_name = "action_policy_lookup_or_default"
    fallback = True
