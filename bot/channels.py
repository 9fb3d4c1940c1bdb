"""REST-style input channels, one per medium, so that channel-specific responses work.

Rasa picks a response variant by the *output* channel's name, so each input channel
collects replies into an output channel of its own name. The handoff service is the
only client; when ``RASA_CHANNEL_TOKEN`` is set, requests must carry it.
"""

from __future__ import annotations

import hmac
import logging
import os
from asyncio import CancelledError
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

logger = logging.getLogger(__name__)

MAX_MESSAGE_CHARS = 4000


class WebchatOutput(CollectingOutputChannel):
    """Collects replies for the web chat."""

    @classmethod
    def name(cls) -> str:
        return "webchat"


class SmsOutput(CollectingOutputChannel):
    """Collects replies for SMS; responses with ``channel: sms`` are chosen."""

    @classmethod
    def name(cls) -> str:
        return "sms"


class _CollectingInput(InputChannel):
    output_class: type[CollectingOutputChannel] = CollectingOutputChannel

    def __init__(self, token: str | None = None) -> None:
        self.token = token if token is not None else os.environ.get("RASA_CHANNEL_TOKEN", "")

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        token = (credentials or {}).get("token")
        return cls(token)

    def _authorised(self, request: Request) -> bool:
        if not self.token:
            return True
        given = request.headers.get("x-channel-token", "")
        return hmac.compare_digest(given.encode(), self.token.encode())

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        hook = Blueprint(f"{self.name()}_webhook", __name__)

        @hook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @hook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if not self._authorised(request):
                return response.json({"error": "forbidden"}, status=403)
            body = request.json if isinstance(request.json, dict) else None
            if body is None:
                return response.json({"error": "expected a JSON object"}, status=400)
            sender, text = body.get("sender"), body.get("message")
            if not isinstance(sender, str) or not sender or not isinstance(text, str):
                return response.json({"error": "sender and message are required strings"}, status=400)
            if len(text) > MAX_MESSAGE_CHARS:
                return response.json({"error": "message too long"}, status=413)
            metadata = body.get("metadata") if isinstance(body.get("metadata"), dict) else None
            collector = self.output_class()
            try:
                await on_new_message(
                    UserMessage(text, collector, sender, input_channel=self.name(), metadata=metadata)
                )
            except CancelledError:
                logger.error("%s: message handling was cancelled", self.name())
            except Exception:
                # Never log the message itself: it may be a disclosure.
                logger.exception("%s: message handling failed", self.name())
            return response.json(collector.messages)

        return hook


class WebchatInput(_CollectingInput):
    """Web chat messages relayed by the handoff service."""

    output_class = WebchatOutput

    @classmethod
    def name(cls) -> str:
        return "webchat"


class SmsInput(_CollectingInput):
    """SMS messages relayed by the handoff service."""

    output_class = SmsOutput

    @classmethod
    def name(cls) -> str:
        return "sms"
