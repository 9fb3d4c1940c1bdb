"""Outbound SMS through the twilio library's REST client, off the event loop."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

TWILIO_API = "https://api.twilio.com"

# The library logs request headers at INFO; keep it quiet so nothing about a send reaches the logs.
_quiet = logging.getLogger("handoff.core.twilio.http")
_quiet.setLevel(logging.WARNING)


class _RedirectingHttpClient(TwilioHttpClient):
    """Sends the library's requests to another base URL (the local stand-in) when one is configured."""

    def __init__(self, base: str, timeout: float) -> None:
        super().__init__(timeout=timeout, logger=_quiet)
        self.base = base.rstrip("/")

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        if self.base and url.startswith(TWILIO_API):
            url = self.base + url[len(TWILIO_API):]
        return super().request(method, url, *args, **kwargs)


class SmsSender:
    """Sends one SMS and returns Twilio's message SID."""

    def __init__(self, *, account_sid: str, auth_token: str, from_number: str, api_base: str = "",
                 timeout: float = 10.0) -> None:
        self.from_number = from_number
        self._client = Client(account_sid, auth_token, http_client=_RedirectingHttpClient(api_base, timeout))

    async def send(self, *, to: str, body: str, status_callback: str | None = None) -> str:
        def create() -> str:
            kwargs: dict[str, Any] = {"to": to, "from_": self.from_number, "body": body}
            if status_callback:
                kwargs["status_callback"] = status_callback
            return str(self._client.messages.create(**kwargs).sid)

        return await asyncio.to_thread(create)

    async def delete(self, sid: str) -> bool:
        """Delete a message (and its text) from Twilio's logs; False when Twilio no longer has it."""
        def remove() -> bool:
            try:
                return bool(self._client.messages(sid).delete())
            except TwilioRestException as exc:
                if exc.status == 404:
                    return False
                raise

        return await asyncio.to_thread(remove)
