"""Shared helpers for the custom actions: replies, channels, the institution profile."""

from __future__ import annotations

import abc
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from institutions import InstitutionProfile, ProfileError, load_profile
from safety.gsm import split_sms

logger = logging.getLogger(__name__)

SMS = "sms"
WEB = "webchat"


@dataclass(frozen=True)
class Reply:
    """One message to send. Buttons are quick replies and only reach the web chat."""

    text: str
    buttons: tuple[tuple[str, str], ...] = field(default_factory=tuple)

    def as_kwargs(self, channel: str) -> dict[str, Any]:
        if channel == SMS or not self.buttons:
            return {"text": self.text}
        return {"text": self.text, "buttons": [{"title": t, "payload": p} for t, p in self.buttons]}


def button(title: str, intent: str) -> tuple[str, str]:
    return (title, f"/{intent}")


TALK_TO_PERSON = button("Talk to a person", "request_person")


def channel_of(tracker: Tracker) -> str:
    """The channel of the latest user message: ``sms`` or (by default) the web chat."""
    return SMS if tracker.get_latest_input_channel() == SMS else WEB


def for_channel(replies: Sequence[Reply], channel: str) -> list[Reply]:
    """On SMS, make sure every message is pure GSM-7 and fits one 320-character SMS."""
    if channel != SMS:
        return list(replies)
    out: list[Reply] = []
    for reply in replies:
        out.extend(Reply(part) for part in split_sms(reply.text))
    return out


def send(dispatcher: CollectingDispatcher, replies: Sequence[Reply], channel: str) -> None:
    for reply in for_channel(replies, channel):
        dispatcher.utter_message(**reply.as_kwargs(channel))


def join_words(items: Sequence[str], last: str = "or") -> str:
    """'a', 'a or b', 'a, b or c'."""
    items = [i for i in items if i]
    if not items:
        return ""
    if len(items) == 1:
        return items[0]
    return f"{', '.join(items[:-1])} {last} {items[-1]}"


def policy_ref(cite: str | None, kind: str = "") -> str:
    """Where the institution's policy says it, for the web: '(your policy, section 9.2)'; '' when unknown.

    A local authority's note for its staff is guidance: '(your guidance: Keeping a record)'.
    """
    if not cite:
        return ""
    document = "guidance" if kind == "local_authority" else "policy"
    return f"(your {document}, section {cite})" if cite[0].isdigit() else f"(your {document}: {cite})"


def with_ref(text: str, cite: str | None, channel: str, kind: str = "") -> str:
    """The sentence with its citation on the web; SMS keeps its budget for the facts."""
    ref = policy_ref(cite, kind)
    return f"{text} {ref}" if ref and channel != SMS else text


def possessive(name: str) -> str:
    """'Harbourside College's', 'Northway Apprenticeships''."""
    return f"{name}'" if name.endswith("s") else f"{name}'s"


def policy_of(profile: InstitutionProfile, channel: str) -> str:
    """'Harbourside College's policy'; a local authority's note for staff is its guidance."""
    name = profile.sms_name if channel == SMS else profile.name
    return f"{possessive(name)} {'guidance' if profile.kind == 'local_authority' else 'policy'}"


def the(team: str) -> str:
    """Team names read naturally after 'the' unless they already start with it."""
    return team if team.lower().startswith("the ") else f"the {team}"


@lru_cache(maxsize=8)
def _cached_profile(institution_id: str, directory: str) -> InstitutionProfile:
    return load_profile(institution_id or None, directory or None)


def current_profile() -> InstitutionProfile:
    """The profile chosen by ``INSTITUTION_ID`` / ``INSTITUTIONS_DIR``, loaded once per setting."""
    return _cached_profile(os.environ.get("INSTITUTION_ID", ""), os.environ.get("INSTITUTIONS_DIR", ""))


def clear_profile_cache() -> None:
    _cached_profile.cache_clear()


PROFILE_UNAVAILABLE = Reply(
    "Sorry, I can't look up the details here right now. "
    "A welfare officer can help you with this.",
    (TALK_TO_PERSON,),
)



class ProfileAction(Action, abc.ABC):
    """An action whose replies are built from the institution profile.

    Subclasses set ``action_name`` and implement ``build(profile, channel)``.
    """

    action_name = ""

    def name(self) -> str:
        return self.action_name

    @abc.abstractmethod
    def build(self, profile: InstitutionProfile, channel: str) -> list[Reply]:
        """The replies for this profile and channel."""

    def build_for(self, profile: InstitutionProfile, channel: str, tracker: Tracker) -> list[Reply]:
        """The replies, for an action whose answer also depends on the conversation (default: ``build``)."""
        return self.build(profile, channel)

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        channel = channel_of(tracker)
        try:
            profile = current_profile()
        except ProfileError:
            logger.exception("%s: the institution profile could not be loaded", self.name())
            send(dispatcher, [PROFILE_UNAVAILABLE], channel)
            return []
        send(dispatcher, self.build_for(profile, channel, tracker), channel)
        return []
