"""The web chat protocol over Starlette's in-process TestClient socket, with the frames and the reading of
events that every other client in the tests uses (tests/chat_client.py)."""

from __future__ import annotations

from typing import Any

from chat_client import hello_frame, is_assistant_message, receive_until, welcomed

__all__ = ["assistant_turn", "hello", "is_assistant_message", "receive_until"]


def hello(ws, token: str | None = None, after: int = 0) -> dict[str, Any]:
    ws.send_json(hello_frame(token, after))
    return welcomed(ws.receive_json())


def assistant_turn(client, public_id: str, who: str = "web:test"):
    """Hold an assistant turn open for a conversation, as the service does while Rasa runs its actions."""
    return client.portal.wrap_async_context_manager(client.app.state.ctx.turns.running(public_id, who))
