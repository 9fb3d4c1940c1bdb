"""A small client for the assistant's REST channels.

It is on every student's turn, so it uses aiohttp, whose client costs a fraction of httpx's per request.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any

import aiohttp

logger = logging.getLogger(__name__)


class RasaUnavailable(Exception):
    """The assistant did not answer in time, or answered with an error."""


@dataclass
class Reply:
    text: str
    buttons: list[dict[str, str]] = field(default_factory=list)
    custom: dict[str, Any] | None = None


class RasaClient:
    """Posts a user's message to the assistant and returns its replies.

    Connections are kept open between turns (Rasa keeps them for 120 s; this client lets them go after 15 s).
    """

    def __init__(self, base_url: str, *, token: str = "", timeout: float = 8.0) -> None:
        self._base_url = base_url.rstrip("/")
        self._headers = {"x-channel-token": token} if token else {}
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None:  # made on first use, inside the running event loop
            self._session = aiohttp.ClientSession(
                headers=self._headers, timeout=self._timeout,
                connector=aiohttp.TCPConnector(limit=200, keepalive_timeout=15), raise_for_status=True,
            )
        return self._session

    async def send(self, *, channel: str, sender: str, text: str,
                   metadata: dict[str, Any] | None = None) -> list[Reply]:
        """The assistant's replies to one message; raises RasaUnavailable on any failure."""
        url = f"{self._base_url}/webhooks/{channel}/webhook"
        try:
            async with self._client().post(
                url, json={"sender": sender, "message": text, "metadata": metadata or {}}
            ) as response:
                body = await response.json(content_type=None)
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as exc:
            logger.warning("assistant unavailable: %s", type(exc).__name__)
            raise RasaUnavailable(type(exc).__name__) from exc
        if not isinstance(body, list):
            raise RasaUnavailable("unexpected reply shape")
        return [_reply(item) for item in body if isinstance(item, dict)]

    async def healthy(self) -> bool:
        """True when the assistant's server answers."""
        try:
            async with self._client().get(f"{self._base_url}/webhooks/webchat/",
                                          timeout=aiohttp.ClientTimeout(total=2.0)):
                return True
        except (aiohttp.ClientError, asyncio.TimeoutError):
            return False

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


def _reply(item: dict[str, Any]) -> Reply:
    buttons = [
        {"title": str(b.get("title", "")), "payload": str(b.get("payload", ""))}
        for b in item.get("buttons") or []
        if isinstance(b, dict)
    ]
    text = item.get("text") or ""
    custom = item.get("custom") if isinstance(item.get("custom"), dict) else None
    return Reply(text=str(text), buttons=buttons, custom=custom)
