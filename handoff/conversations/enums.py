"""Words of the conversation domain."""

from __future__ import annotations

from enum import Enum


class Channel(str, Enum):
    webchat = "webchat"
    sms = "sms"


# How each channel is named to people (the console's queue, the statistics): one name each.
CHANNEL_NAMES = {Channel.webchat.value: "Web chat", Channel.sms.value: "SMS"}


class Owner(str, Enum):
    """Who holds the conversation: the assistant, the queue, a welfare officer, or nobody."""

    bot = "bot"
    waiting = "waiting"
    human = "human"
    closed = "closed"


class Direction(str, Enum):
    user = "user"
    assistant = "assistant"
    officer = "officer"
    system = "system"
