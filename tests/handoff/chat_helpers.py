"""A small web chat client for tests, speaking the documented protocol."""

from __future__ import annotations

from typing import Any


def hello(ws, token: str | None = None, after: int = 0) -> dict[str, Any]:
    ws.send_json({"type": "hello", "token": token, "after": after})
    welcome = ws.receive_json()
    assert welcome["type"] == "welcome"
    return welcome


def receive_until(ws, predicate, limit: int = 20) -> list[dict[str, Any]]:
    """Read events until one matches; returns everything read."""
    seen = []
    for _ in range(limit):
        event = ws.receive_json()
        seen.append(event)
        if predicate(event):
            return seen
    raise AssertionError(f"no matching event in {seen}")


def is_assistant_message(event: dict[str, Any]) -> bool:
    return event.get("type") == "message" and event.get("from") == "assistant"


def assistant_turn(client, public_id: str, who: str = "web:test"):
    """Hold an assistant turn open for a conversation, as the service does while Rasa runs its actions."""
    return client.portal.wrap_async_context_manager(client.app.state.ctx.turns.running(public_id, who))
