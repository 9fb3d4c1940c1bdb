"""The JSON events sent to chat clients and consoles."""

from __future__ import annotations

from typing import Any

from handoff.conversations.models import Message

QUEUE_TOPIC = "queue"  # the officers' queue: every console listens


def message_event(message: Message) -> dict[str, Any]:
    """A stored message as a client sees it."""
    event: dict[str, Any] = {
        "type": "message",
        "seq": message.seq,
        "from": message.direction.value,
        "text": message.text,
        "at": message.created_at.isoformat(),
    }
    if message.client_message_id:
        event["client_id"] = message.client_message_id
    buttons = message.extra.get("buttons") if message.extra else None
    if buttons:
        event["buttons"] = buttons
    quoted = message.extra.get("policy_sections") if message.extra else None
    if quoted:
        event["quoted"] = quoted  # the policy sections this reply quoted (the student read them; officers see them)
    return event


def typing_event(on: bool, sender: str = "assistant") -> dict[str, Any]:
    """The assistant (or an officer) has started or stopped writing."""
    return {"type": "typing", "from": sender, "on": on}
