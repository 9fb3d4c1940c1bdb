"""Words of the conversation domain."""

from __future__ import annotations

from enum import Enum


class Channel(str, Enum):
    webchat = "webchat"
    sms = "sms"


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
